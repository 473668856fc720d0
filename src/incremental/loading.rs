//! The record of an output directory read on another thread while the platform is compiled.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use super::Known;

/// A [`Known`] being read on another thread. Reading a large record takes about as long as
/// loading the platform, and nothing needs it before the files are fingerprinted, after
/// planning: compiling starts meanwhile and waits for it only then ([`Loading::get`]).
#[derive(Debug)]
pub struct Loading {
    reading: Mutex<Option<JoinHandle<Option<Known>>>>,
    read: OnceLock<Option<Known>>,
}

impl Loading {
    /// Starts `load` on another thread. A thread that cannot be started reads no record (the
    /// record is best effort: every file then renders).
    pub fn start(load: impl FnOnce() -> Option<Known> + Send + 'static) -> Self {
        Self {
            reading: Mutex::new(std::thread::Builder::new().spawn(load).ok()),
            read: OnceLock::new(),
        }
    }

    /// A record already read (or none).
    pub fn ready(known: Option<Known>) -> Self {
        Self {
            reading: Mutex::new(None),
            read: OnceLock::from(known),
        }
    }

    /// The record, waited for the first time it is asked for; `None` when there is none (or
    /// its thread failed).
    pub fn get(&self) -> Option<&Known> {
        self.read
            .get_or_init(|| {
                let reading = self
                    .reading
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                reading.and_then(|thread| thread.join().ok().flatten())
            })
            .as_ref()
    }

    /// The record itself, waited for if it was never asked for.
    pub fn into_inner(self) -> Option<Known> {
        self.get();
        self.read.into_inner().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn known(salt: &[u8]) -> Known {
        Known {
            salt: salt.to_vec(),
            templates: None,
            file: PathBuf::from("record"),
            records: HashMap::new(),
        }
    }

    #[test]
    fn a_record_read_on_another_thread_is_waited_for_once_and_kept() {
        let (tell, told) = std::sync::mpsc::channel::<()>();
        let loading = Loading::start(move || {
            // Not read until the test says so: `get` must wait for it.
            told.recv().ok()?;
            Some(known(b"read"))
        });
        tell.send(()).expect("the thread waits");
        assert_eq!(loading.get().map(Known::salt), Some(&b"read"[..]));
        assert_eq!(loading.get().map(Known::salt), Some(&b"read"[..]), "kept");
        assert_eq!(loading.into_inner().map(|k| k.salt), Some(b"read".to_vec()));
    }

    #[test]
    fn no_record_and_a_failed_read_are_none_and_one_never_asked_for_is_kept() {
        assert!(Loading::start(|| None).get().is_none());
        assert!(Loading::ready(None).into_inner().is_none());
        let failed = Loading::start(|| panic!("the read failed"));
        assert!(
            failed.get().is_none(),
            "a thread that fails reads no record"
        );
        // Never asked for: still there to record into.
        let unasked = Loading::start(|| Some(known(b"late")));
        assert_eq!(unasked.into_inner().map(|k| k.salt), Some(b"late".to_vec()));
        assert_eq!(
            Loading::ready(Some(known(b"now"))).get().map(Known::salt),
            Some(&b"now"[..])
        );
    }
}

//! A value read on another thread while the platform is compiled: the output directory's
//! manifest and the record of its files (see [`crate::incremental`]). Each takes about as long
//! to read as loading a large platform, and nothing needs either before the files are planned;
//! compiling starts meanwhile and waits for them only then ([`Later::get`]).

use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

/// A `T` being read on another thread, or already read.
#[derive(Debug)]
pub struct Later<T> {
    reading: Mutex<Option<JoinHandle<Option<T>>>>,
    read: OnceLock<Option<T>>,
}

impl<T: Send + 'static> Later<T> {
    /// Starts `read` on another thread. A thread that cannot be started reads nothing, as one
    /// that fails: every use of a `Later` has a way on without the value.
    pub fn start(read: impl FnOnce() -> Option<T> + Send + 'static) -> Self {
        Self {
            reading: Mutex::new(std::thread::Builder::new().spawn(read).ok()),
            read: OnceLock::new(),
        }
    }
}

impl<T> Later<T> {
    /// A value already read (or none).
    pub fn ready(value: Option<T>) -> Self {
        Self {
            reading: Mutex::new(None),
            read: OnceLock::from(value),
        }
    }

    /// The value, waited for the first time it is asked for; `None` when there is none (or
    /// its thread failed).
    pub fn get(&self) -> Option<&T> {
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

    /// The value itself, waited for if it was never asked for.
    pub fn into_inner(self) -> Option<T> {
        self.get();
        self.read.into_inner().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_read_on_another_thread_is_waited_for_once_and_kept() {
        let (tell, told) = std::sync::mpsc::channel::<()>();
        let later = Later::start(move || {
            // Not read until the test says so: `get` must wait for it.
            told.recv().ok()?;
            Some(String::from("read"))
        });
        tell.send(()).expect("the thread waits");
        assert_eq!(later.get().map(String::as_str), Some("read"));
        assert_eq!(later.get().map(String::as_str), Some("read"), "kept");
        assert_eq!(later.into_inner().as_deref(), Some("read"));
    }

    #[test]
    fn nothing_read_and_a_failed_read_are_none_and_one_never_asked_for_is_kept() {
        assert!(Later::<String>::start(|| None).get().is_none());
        assert!(Later::<String>::ready(None).into_inner().is_none());
        let failed = Later::<String>::start(|| panic!("the read failed"));
        assert!(failed.get().is_none(), "a thread that fails reads nothing");
        // Never asked for: still there when taken.
        let unasked = Later::start(|| Some(String::from("late")));
        assert_eq!(unasked.into_inner().as_deref(), Some("late"));
        assert_eq!(
            Later::ready(Some(String::from("now")))
                .get()
                .map(String::as_str),
            Some("now")
        );
    }
}

//! One platgen at a time on an output directory. Two renders into the same `out/` (a
//! pre-commit hook beside an editor's render on save, or `--env staging` and `--env production`
//! in parallel CI jobs) would each read the manifest, write their files and then the
//! manifest, the last one dropping what the other recorded. Render takes the directory
//! exclusively; check and diff share it, so they never see a render half committed.
//!
//! The lock is the operating system's advisory lock (`flock`) on the output directory itself
//! or, while it does not exist yet, on its nearest existing parent: no lock file is created,
//! and the lock ends with the process however it ends. Where the file system cannot lock, the
//! run goes on unlocked.

use std::fs::{File, TryLockError};
use std::path::Path;

/// Exclusive (render) or shared (check, diff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Writes the output directory.
    Exclusive,
    /// Only reads it.
    Shared,
}

/// Held for as long as the run uses the output directory; dropping it releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    _file: Option<File>,
}

/// Locks the output directory, first saying so on stderr when another platgen holds it and
/// this run has to wait.
pub fn lock(out_dir: &Path, access: Access) -> OutputLock {
    let take = |file: &File, wait: bool| match (access, wait) {
        (Access::Exclusive, false) => file.try_lock(),
        (Access::Shared, false) => file.try_lock_shared(),
        (Access::Exclusive, true) => file.lock().map_err(TryLockError::Error),
        (Access::Shared, true) => file.lock_shared().map_err(TryLockError::Error),
    };
    let file = open_lockable(out_dir).filter(|file| match take(file, false) {
        Ok(()) => true,
        Err(TryLockError::WouldBlock) => {
            crate::errln!(
                "platgen: waiting for another platgen run on {} to finish",
                out_dir.display()
            );
            take(file, true).is_ok()
        }
        Err(TryLockError::Error(_)) => false,
    });
    OutputLock { _file: file }
}

/// The output directory, or its nearest existing parent, opened to be locked (Unix opens
/// directories read-only; elsewhere there is no lock).
fn open_lockable(out_dir: &Path) -> Option<File> {
    if !cfg!(unix) {
        return None;
    }
    let absolute = std::path::absolute(out_dir).ok()?;
    absolute
        .ancestors()
        .find(|dir| dir.is_dir())
        .and_then(|dir| File::open(dir).ok())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_render_excludes_every_other_run_and_readers_share() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let other = || File::open(dir.path()).expect("open");
        // While out/ does not exist, its parent is what is locked.
        let render = lock(&out, Access::Exclusive);
        assert!(render._file.is_some());
        assert!(matches!(
            other().try_lock_shared(),
            Err(TryLockError::WouldBlock)
        ));
        drop(render);
        let check = lock(&out, Access::Shared);
        let diff = lock(&out, Access::Shared);
        assert!(check._file.is_some() && diff._file.is_some());
        assert!(matches!(other().try_lock(), Err(TryLockError::WouldBlock)));
        drop((check, diff));
        assert!(other().try_lock().is_ok());
    }
}

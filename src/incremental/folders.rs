//! The folders of an output directory, each opened once for a render, so that the `lstat` of
//! each of its files looks up the file's own name and not every folder on its path again: an
//! incremental render of a thousand services asks it of 24,000 files, and the path walk was
//! most of each call.

use std::path::Path;

use super::FileStat;

/// Folders of one output directory opened so far (`O_PATH`, never through a link), by their
/// path in it. Shared by the rendering threads; a platform's files live in a few dozen folders.
#[derive(Debug, Default)]
pub(crate) struct Folders {
    #[cfg(target_os = "linux")]
    open: std::sync::Mutex<
        std::collections::HashMap<String, Option<std::sync::Arc<rustix::fd::OwnedFd>>>,
    >,
}

impl Folders {
    /// What `lstat` says of the file at `path` (`/`-separated) in `out_dir`; `None` unless it
    /// is a regular file. A file whose folder is a link, or cannot be opened, is `None` too.
    pub(crate) fn stat(&self, out_dir: &Path, path: &str) -> Option<FileStat> {
        #[cfg(target_os = "linux")]
        if let Some((folder, name)) = path.rsplit_once('/') {
            let folder = self.folder(out_dir, folder)?;
            return stat_at(&folder, name);
        }
        FileStat::of(&out_dir.join(path))
    }

    /// The folder at `path` in `out_dir`, opened on first use (and `None` ever after when it
    /// could not be).
    #[cfg(target_os = "linux")]
    fn folder(&self, out_dir: &Path, path: &str) -> Option<std::sync::Arc<rustix::fd::OwnedFd>> {
        use rustix::fs::{Mode, OFlags, open};
        let mut open_folders = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(folder) = open_folders.get(path) {
            return folder.clone();
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let folder = open(out_dir.join(path), flags, Mode::empty())
            .ok()
            .map(std::sync::Arc::new);
        open_folders.insert(path.to_owned(), folder.clone());
        folder
    }
}

/// `lstat` of `name` in the open `folder`, as [`FileStat::of`] reads it (`statx`, as the
/// standard library asks it).
#[cfg(target_os = "linux")]
fn stat_at(folder: &rustix::fd::OwnedFd, name: &str) -> Option<FileStat> {
    use rustix::fs::{AtFlags, FileType, StatxFlags, statx};
    let wanted = StatxFlags::TYPE
        | StatxFlags::MODE
        | StatxFlags::INO
        | StatxFlags::SIZE
        | StatxFlags::MTIME
        | StatxFlags::CTIME;
    let stat = statx(folder, name, AtFlags::SYMLINK_NOFOLLOW, wanted).ok()?;
    let told = StatxFlags::from_bits_retain(stat.stx_mask);
    (told.contains(wanted)
        && FileType::from_raw_mode(stat.stx_mode.into()) == FileType::RegularFile)
        .then(|| FileStat {
            ino: stat.stx_ino,
            size: stat.stx_size,
            mtime: (stat.stx_mtime.tv_sec, i64::from(stat.stx_mtime.tv_nsec)),
            ctime: (stat.stx_ctime.tv_sec, i64::from(stat.stx_ctime.tv_nsec)),
            executable: crate::output::mode::executable_mode(stat.stx_mode.into()),
        })
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn a_file_is_seen_through_its_open_folder_as_lstat_sees_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        fs::create_dir_all(out.join("prod/kubernetes")).expect("mkdir");
        for path in ["top.yaml", "prod/a.yaml", "prod/kubernetes/b.yaml"] {
            fs::write(out.join(path), path).expect("write");
        }
        let folders = Folders::default();
        for path in ["top.yaml", "prod/a.yaml", "prod/kubernetes/b.yaml"] {
            let seen = folders.stat(out, path);
            assert!(seen.is_some(), "{path}");
            assert_eq!(seen, FileStat::of(&out.join(path)), "{path}");
        }
        // Asked again after a write, through the folder already open: the new stat.
        let before = folders.stat(out, "prod/kubernetes/b.yaml");
        fs::write(out.join("prod/kubernetes/b.yaml"), "longer than before").expect("write");
        let after = folders.stat(out, "prod/kubernetes/b.yaml");
        assert_ne!(before, after);
        assert_eq!(after, FileStat::of(&out.join("prod/kubernetes/b.yaml")));
        // No file, a folder, a name in no folder: nothing.
        for path in ["prod/missing.yaml", "prod/kubernetes", "nowhere/a.yaml"] {
            assert_eq!(folders.stat(out, path), None, "{path}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_seen_through_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        fs::create_dir_all(out.join("real")).expect("mkdir");
        fs::write(out.join("real/a.yaml"), "a").expect("write");
        std::os::unix::fs::symlink(out.join("real"), out.join("linked")).expect("link");
        std::os::unix::fs::symlink(out.join("real/a.yaml"), out.join("real/b.yaml")).expect("link");
        let folders = Folders::default();
        assert!(folders.stat(out, "real/a.yaml").is_some());
        // A link to a file is no regular file; a file in a linked folder is not looked at.
        assert_eq!(folders.stat(out, "real/b.yaml"), None);
        assert_eq!(folders.stat(out, "linked/a.yaml"), None);
    }
}

//! Staging a render for the output directory: each file is written where nothing reads it
//! yet, as soon as it is rendered and verified (on the rendering threads), and nothing is
//! visible until [`super::commit`].
//!
//! - Into an existing output directory, each file to write goes to a temporary file
//!   (`.platgen-tmp-*`) next to its target; unchanged files are not touched at all.
//! - When the output directory does not exist yet, the whole tree is built in a hidden
//!   directory beside it (`.NAME.platgen-tmp-*`), files at their final names.
//!
//! Dropped without a commit, a staged render removes everything it staged and every directory
//! it made.

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{UNCHANGED, check_path, io_error};
use crate::diagnostics::Diagnostic;

/// Name prefix of the temporary files a render stages.
pub const TEMP_PREFIX: &str = ".platgen-tmp-";

/// A file staged for the output directory, not yet visible there.
#[derive(Debug)]
pub struct Staged {
    /// The path under the output directory.
    pub(super) path: String,
    pub(super) place: Place,
    /// What `lstat` will say of it once committed, when known now: a file in a fresh tree keeps
    /// its inode and times when the tree is renamed into place.
    stat: Option<crate::incremental::FileStat>,
}

/// Where a staged file waits.
#[derive(Debug)]
pub(super) enum Place {
    /// In a temporary file next to its target, renamed over it on commit; dropping it deletes
    /// it.
    Beside {
        temp: tempfile::TempPath,
        target: PathBuf,
    },
    /// At its own path in a fresh tree (see [`Stager`]), which goes or stays as a whole.
    InTree(PathBuf),
}

impl Staged {
    /// What `lstat` will say of the committed file, when known before the commit.
    pub fn committed_stat(&self) -> Option<crate::incremental::FileStat> {
        self.stat
    }

    /// The staged file's own path, as it is now.
    pub(super) fn file(&self) -> &Path {
        match &self.place {
            Place::Beside { temp, .. } => temp,
            Place::InTree(file) => file,
        }
    }
}

/// Why a file could not be staged beside its target.
enum BesideError {
    /// No file could be created in the target's folder (read-only, immutable, full of
    /// inodes): the folder's failure, the same for every file staged there.
    Folder(std::io::Error),
    /// The file was created, but its bytes could not be written (a full disk, a size limit).
    File(std::io::Error),
}

/// An error of `tempfile` without the temporary file's path it appends (` at path "…"`): a
/// name of platgen's own making, which means nothing to the user and differs from file to file.
fn without_temp_path(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.split_once(" at path ") {
        Some((cause, _)) => cause.to_owned(),
        None => text,
    }
}

fn stage_beside(
    path: &str,
    target: &Path,
    content: &[u8],
) -> Result<tempfile::TempPath, BesideError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    // tempfile creates owner-only (0600) files; generated files get the usual mode, executable
    // or not (see super::mode; the umask applies).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(
        super::mode::creation_mode(path),
    ));
    #[cfg(not(unix))]
    let _ = path;
    let mut temp = builder.tempfile_in(dir).map_err(BesideError::Folder)?;
    temp.write_all(content).map_err(BesideError::File)?;
    // Closed now (tens of thousands of open files would hit the descriptor limit); the path stays.
    Ok(temp.into_temp_path())
}

/// Stages files for an output directory, from any number of threads, as they are rendered.
/// Nothing is visible until [`super::commit`].
///
/// - Into an existing output directory, each file goes to a temporary file next to its target,
///   in directories created as needed. A stager dropped without a commit removes the
///   directories it created (the staged files, dropped first, remove themselves).
/// - When the output directory does not exist yet, the whole tree is built in a fresh hidden
///   directory beside it (`.NAME.platgen-tmp-*`), which the commit renames into place in one
///   step and a drop deletes: no file is renamed one by one.
#[derive(Debug)]
pub struct Stager {
    out_dir: PathBuf,
    /// The fresh tree, when the output directory did not exist.
    pub(super) tree: Option<tempfile::TempDir>,
    /// Directories created in the output directory (not in a fresh tree), parents first.
    created: Mutex<Vec<PathBuf>>,
    /// Directories known to exist, so each is looked up once, not once per file.
    known: Mutex<HashSet<PathBuf>>,
}

/// The prefix of the fresh trees staged for an output directory named `name`.
pub(super) fn tree_prefix(name: &std::ffi::OsStr) -> std::ffi::OsString {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    prefix.push(TEMP_PREFIX.trim_start_matches('.'));
    prefix
}

/// A fresh tree beside `out_dir` when it does not exist (and its parent does); `None` otherwise.
fn fresh_tree(out_dir: &Path) -> Option<tempfile::TempDir> {
    let missing =
        fs::symlink_metadata(out_dir).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    let name = out_dir.file_name()?;
    if !missing || name == ".." {
        return None;
    }
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = tree_prefix(name);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // tempfile creates owner-only (0700) directories; this one becomes the output directory.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o777));
    builder.tempdir_in(parent).ok()
}

impl Stager {
    /// A stager for `out_dir`.
    pub fn new(out_dir: &Path) -> Self {
        Self {
            out_dir: out_dir.to_path_buf(),
            tree: fresh_tree(out_dir),
            created: Mutex::new(Vec::new()),
            known: Mutex::new(HashSet::new()),
        }
    }

    /// Whether the output directory did not exist, so the render builds a fresh tree beside
    /// it (and nothing in it needs to be read).
    pub fn fresh(&self) -> bool {
        self.tree.is_some()
    }

    /// Stages `content` for `path` (relative to the output directory).
    pub fn stage(&self, path: &str, content: &[u8]) -> Result<Staged, Diagnostic> {
        if !super::journal::is_bookkeeping(path) {
            check_path(path)?;
        }
        let root = self
            .tree
            .as_ref()
            .map_or(self.out_dir.as_path(), |t| t.path());
        let target = root.join(path);
        let dir = target.parent().unwrap_or(root);
        self.make_dir(dir).map_err(|(failed, e)| {
            // The output directory itself, once, not once per directory under it.
            let what = if self.out_dir.starts_with(&failed) {
                format!(
                    "cannot create the output directory {}",
                    self.out_dir.display()
                )
            } else {
                format!("cannot create {}", self.shown(&failed).display())
            };
            io_error(what, e).help(UNCHANGED)
        })?;
        let cannot_write = |e| {
            io_error(format!("cannot write {}", self.shown(&target).display()), e).help(UNCHANGED)
        };
        let (place, stat) = if self.tree.is_some() {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, super::mode::creation_mode(path));
            let mut file = options.open(&target).map_err(cannot_write)?;
            file.write_all(content).map_err(cannot_write)?;
            let stat = file
                .metadata()
                .ok()
                .and_then(|m| crate::incremental::FileStat::from_metadata(&m));
            (Place::InTree(target), stat)
        } else {
            // Renamed into place on commit, which changes its change time: not known yet.
            let temp = stage_beside(path, &target, content).map_err(|e| match e {
                // The same error for every file of the folder, which `compile` then reports
                // once, with how many files it stopped.
                BesideError::Folder(e) => Diagnostic::error(
                    "E0501",
                    format!(
                        "cannot create files in {}: {}",
                        self.shown(dir).display(),
                        without_temp_path(&e)
                    ),
                )
                .help(UNCHANGED),
                BesideError::File(e) => cannot_write(e),
            })?;
            (Place::Beside { temp, target }, None)
        };
        Ok(Staged {
            path: path.to_owned(),
            place,
            stat,
        })
    }

    /// Makes sure `dir` exists, creating it and its missing parents; on failure, which
    /// directory could not be created.
    fn make_dir(&self, dir: &Path) -> Result<(), (PathBuf, std::io::Error)> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.contains(dir) {
            return Ok(());
        }
        if self.tree.is_some() {
            fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
        } else {
            let mut created = self.created.lock().unwrap_or_else(PoisonError::into_inner);
            create_dirs(dir, &mut created)?;
        }
        known.insert(dir.to_path_buf());
        Ok(())
    }

    /// `path` as the user will know it: under the output directory, not the fresh tree.
    fn shown(&self, path: &Path) -> PathBuf {
        match &self.tree {
            Some(tree) => path
                .strip_prefix(tree.path())
                .map_or_else(|_| path.to_path_buf(), |rest| self.out_dir.join(rest)),
            None => path.to_path_buf(),
        }
    }

    /// Gives up undoing: the directories it created stay (the render is being committed).
    pub(super) fn keep_dirs(&self) {
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        undo_dirs(&self.created.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A render staged in full: its files (added and changed ones), ready for [`super::commit`]. Dropped
/// without it, it removes every staged file and then every directory it created, leaving the
/// output directory as it was.
#[derive(Debug)]
pub struct StagedRender {
    // Fields drop in this order: the files first, as a directory can only be removed empty.
    pub(super) files: Vec<Staged>,
    pub(super) stager: Stager,
}

impl StagedRender {
    /// The staged `files`, and the stager that staged them (and made their directories).
    pub fn new(stager: Stager, files: Vec<Staged>) -> Self {
        Self { files, stager }
    }
}

/// Creates `dir` and its missing parents, recording each directory created; on failure, the
/// directory that could not be created (the first missing one, not `dir`, when that fails).
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), (PathBuf, std::io::Error)> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    fs::create_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    created.push(dir.to_path_buf());
    Ok(())
}

fn undo_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of staging `path` into `out_dir`.
    fn stage_error(out_dir: &Path, path: &str) -> String {
        match Stager::new(out_dir).stage(path, b"x\n") {
            Ok(staged) => panic!("staged {staged:?}"),
            Err(diagnostic) => diagnostic.message,
        }
    }

    /// A folder no file can be created in is named, with its error, never the temporary
    /// file's name: the same message for every file there.
    #[cfg(unix)]
    #[test]
    fn a_folder_that_takes_no_file_is_named_without_the_temporary_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("a")).expect("mkdir");
        fs::set_permissions(out.join("a"), fs::Permissions::from_mode(0o555)).expect("chmod");
        // As root permissions do not bind: nothing to see (tests/cli.rs uses chattr +i).
        if fs::write(out.join("a/probe"), "").is_ok() {
            return;
        }
        let messages = ["a/one.yaml", "a/two.yaml"].map(|path| stage_error(&out, path));
        fs::set_permissions(out.join("a"), fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(messages[0], messages[1]);
        let expected = format!("cannot create files in {}: ", out.join("a").display());
        assert!(messages[0].starts_with(&expected), "{messages:?}");
        assert!(!messages[0].contains(TEMP_PREFIX), "{messages:?}");
    }

    #[test]
    fn a_temporary_file_path_is_left_out_of_an_error() {
        let error = std::io::Error::other(
            "Operation not permitted (os error 1) at path \"/o/.platgen-tmp-x\"",
        );
        assert_eq!(
            without_temp_path(&error),
            "Operation not permitted (os error 1)"
        );
        let plain = std::io::Error::other("No space left on device");
        assert_eq!(without_temp_path(&plain), "No space left on device");
    }

    #[test]
    fn a_directory_that_cannot_be_created_is_named_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A file where the output directory's parent goes: the output directory is named.
        let file = dir.path().join("file");
        fs::write(&file, "").expect("write");
        let out = file.join("out");
        for path in ["a.yaml", "a/b/c.yaml"] {
            let message = stage_error(&out, path);
            let expected = format!("cannot create the output directory {}: ", out.display());
            assert!(message.starts_with(&expected), "{message}");
        }
        // A file where a directory inside it goes: that directory, not the file's own.
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("a"), "").expect("write");
        let message = stage_error(&out, "a/b/c.yaml");
        let expected = format!("cannot create {}: ", out.join("a").display());
        assert!(message.starts_with(&expected), "{message}");
    }
}

//! Writing a render into the output directory, all or nothing.
//!
//! 1. Every file to write, and the new manifest, is staged as a temporary file (`.platgen-tmp-*`)
//!    in its target's directory, and its data is made durable (see [`SYNC_EACH_FILE_UP_TO`]).
//!    Unchanged files are not touched at all.
//! 2. Only when everything is staged are the files renamed over their targets, then stale owned
//!    files removed (with the directories they leave empty), then the manifest renamed last.
//!
//! A failure in step 1 (a directory that cannot be created, a full disk, a read-only directory)
//! deletes what was staged and the directories created: the output directory is byte-identical
//! to before. A process killed at any point, or a power loss, leaves every file wholly old or
//! wholly new: rename(2) replaces a directory entry atomically, and the data it points to was on
//! disk before the rename. What can be left is a mix of old and new files and `.platgen-tmp-*`
//! files; running the same render again completes it and removes the temporary files.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::manifest::MANIFEST_NAME;
use super::{Changes, check_path, io_error};
use crate::diagnostics::Diagnostic;
use crate::parallel;
use crate::render::RenderedFile;

/// Name prefix of the temporary files a render stages.
pub const TEMP_PREFIX: &str = ".platgen-tmp-";

/// Up to this many staged files each is fsynced (fdatasync) on its own; above it, one
/// `syncfs(2)` of the output directory's filesystem flushes them all, which costs one flush
/// instead of one journal commit per file (Linux only; elsewhere every file is fsynced). Both
/// put the data on disk before any rename, which is what "wholly old or wholly new" needs.
pub const SYNC_EACH_FILE_UP_TO: usize = 64;

/// A file staged next to its target, not yet renamed into place. Dropping it deletes it.
struct Staged {
    temp: tempfile::TempPath,
    target: PathBuf,
}

fn stage(target: &Path, content: &[u8], sync: bool) -> std::io::Result<Staged> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    // tempfile creates owner-only (0600) files; generated files get the usual mode (umask applies).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(content)?;
    if sync {
        temp.as_file().sync_data()?;
    }
    // Closed now (tens of thousands of open files would hit the descriptor limit); the path stays.
    Ok(Staged {
        temp: temp.into_temp_path(),
        target: target.to_path_buf(),
    })
}

/// Creates `dir` and its missing parents, recording each directory created.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    fs::create_dir(dir)?;
    created.push(dir.to_path_buf());
    Ok(())
}

fn undo_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

/// How data reaches the disk (see [`SYNC_EACH_FILE_UP_TO`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// fsync each file (and each directory whose entries changed).
    EachFile,
    /// One `syncfs(2)` of the filesystem holding the output directory.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    WholeFilesystem,
}

/// Makes `paths` (files or directories) durable, per `mode`.
fn sync(mode: Durability, out_dir: &Path, paths: &[&Path]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    if mode == Durability::WholeFilesystem {
        return rustix::fs::syncfs(fs::File::open(out_dir)?).map_err(std::io::Error::from);
    }
    let _ = (mode, out_dir);
    parallel::map(paths, |p| fs::File::open(p).and_then(|f| f.sync_all()))
        .into_iter()
        .collect()
}

/// Stages every file to write and the manifest; on failure removes what it did.
fn stage_all(
    out_dir: &Path,
    to_write: &[(PathBuf, &[u8])],
    mode: Durability,
) -> Result<Vec<Staged>, Diagnostic> {
    let mut created = Vec::new();
    let dirs: BTreeSet<&Path> = to_write
        .iter()
        .map(|(target, _)| target.parent().unwrap_or(out_dir))
        .collect();
    for dir in dirs {
        if let Err(e) = create_dirs(dir, &mut created) {
            undo_dirs(&created);
            return Err(io_error(format!("cannot create {}", dir.display()), e)
                .help("nothing was changed in the output directory"));
        }
    }
    let results = parallel::map(to_write, |(target, content)| {
        stage(target, content, mode == Durability::EachFile).map_err(|e| (target.clone(), e))
    });
    let mut staged = Vec::with_capacity(results.len());
    let mut failure = None;
    for result in results {
        match result {
            Ok(s) => staged.push(s),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    if failure.is_none() && mode == Durability::WholeFilesystem {
        failure = sync(mode, out_dir, &[])
            .err()
            .map(|e| (out_dir.to_path_buf(), e));
    }
    if let Some((target, e)) = failure {
        drop(staged);
        undo_dirs(&created);
        return Err(io_error(format!("cannot write {}", target.display()), e)
            .help("nothing was changed in the output directory"));
    }
    Ok(staged)
}

/// Removes the `.platgen-tmp-*` files an interrupted render left where the files at `paths`
/// (relative to `out_dir`) go.
pub fn remove_leftovers_of<'a>(out_dir: &Path, paths: impl Iterator<Item = &'a str>) {
    remove_leftovers(&rendered_dirs(out_dir, paths));
}

/// The directories of the files at `paths`, and `out_dir` itself.
fn rendered_dirs<'a>(out_dir: &Path, paths: impl Iterator<Item = &'a str>) -> BTreeSet<PathBuf> {
    paths
        .filter_map(|p| p.rsplit_once('/').map(|(dir, _)| dir))
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(|dir| out_dir.join(dir))
        .chain([out_dir.to_path_buf()])
        .collect()
}

/// Removes `.platgen-tmp-*` files an interrupted render left in `dirs`.
fn remove_leftovers(dirs: &BTreeSet<PathBuf>) {
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                && entry.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out_dir || !d.starts_with(out_dir) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Writes the render into `out_dir` as `changes` (from [`super::compare`]) says: only added and
/// changed files, atomically; prunes stale owned files and the empty directories they leave;
/// replaces the manifest. Files platgen does not own are never touched (one in the way is an
/// error, before anything is written).
pub fn write(
    out_dir: &Path,
    files: &[RenderedFile],
    changes: &Changes,
) -> Result<(), Vec<Diagnostic>> {
    if !changes.unowned_conflicts.is_empty() {
        return Err(changes
            .unowned_conflicts
            .iter()
            .map(|path| {
                Diagnostic::error("E0502", format!("{} exists and was not written by platgen", out_dir.join(path).display()))
                    .help("platgen never overwrites files it does not own: move or delete it, then render again")
            })
            .collect());
    }
    let wanted: BTreeSet<&str> = changes
        .added
        .iter()
        .chain(&changes.modified)
        .map(String::as_str)
        .collect();
    let mut to_write: Vec<(PathBuf, &[u8])> = Vec::with_capacity(wanted.len() + 1);
    for file in files.iter().filter(|f| wanted.contains(f.path.as_str())) {
        check_path(&file.path).map_err(|d| vec![d])?;
        to_write.push((out_dir.join(&file.path), file.content.as_bytes()));
    }
    if to_write.len() != wanted.len() {
        // Every file to add or change must come with its content; anything else is a bug.
        return Err(vec![
            Diagnostic::error(
                "E0503",
                "a file to write was rendered without its content; nothing was written",
            )
            .help("this is a bug in platgen; please report it"),
        ]);
    }
    let manifest_text = changes.next_manifest.to_text();
    if changes.manifest_stale {
        // Last in the list: renamed after every file.
        to_write.push((out_dir.join(MANIFEST_NAME), manifest_text.as_bytes()));
    }
    // Leftovers of an interrupted render can only be where owned files go.
    let rendered_dirs = rendered_dirs(
        out_dir,
        changes.next_manifest.entries.keys().map(String::as_str),
    );
    if to_write.is_empty() && changes.removed.is_empty() {
        remove_leftovers(&rendered_dirs);
        return Ok(());
    }
    let mode = if to_write.len() <= SYNC_EACH_FILE_UP_TO || !cfg!(target_os = "linux") {
        Durability::EachFile
    } else {
        Durability::WholeFilesystem
    };
    let mut staged = stage_all(out_dir, &to_write, mode).map_err(|d| vec![d])?;

    // Everything is staged and on disk: from here on only renames and removals.
    let manifest = if changes.manifest_stale {
        staged.pop()
    } else {
        None
    };
    let mut errors: Vec<Diagnostic> = parallel::map(&staged, |s| {
        fs::rename(&s.temp, &s.target)
            .map_err(|e| io_error(format!("cannot replace {}", s.target.display()), e))
    })
    .into_iter()
    .filter_map(Result::err)
    .collect();
    // Dropping deletes the temporary files of renames that failed (the others are gone).
    drop(staged);
    let removed: Vec<PathBuf> = changes.removed.iter().map(|p| out_dir.join(p)).collect();
    errors.extend(
        parallel::map(&removed, |target| {
            fs::remove_file(target)
                .map_err(|e| io_error(format!("cannot remove stale {}", target.display()), e))
        })
        .into_iter()
        .filter_map(Result::err),
    );
    for target in &removed {
        remove_empty_parents(out_dir, target);
    }
    if let Some(s) = manifest
        && let Err(e) = s.temp.persist(&s.target)
    {
        errors.push(io_error(
            format!("cannot replace {}", s.target.display()),
            e.error,
        ));
    }
    remove_leftovers(&rendered_dirs);
    let mut dirs: BTreeSet<&Path> = to_write
        .iter()
        .map(|(target, _)| target.parent().unwrap_or(out_dir))
        .collect();
    // The renames themselves durable too, so a finished render stays finished.
    dirs.extend(
        removed
            .iter()
            .filter_map(|p| p.parent())
            .filter(|d| d.is_dir()),
    );
    let dirs: Vec<&Path> = dirs.into_iter().collect();
    if let Err(e) = sync(mode, out_dir, &dirs) {
        errors.push(io_error(format!("cannot sync {}", out_dir.display()), e));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

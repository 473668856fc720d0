//! What keeps an interrupted commit undoable or recoverable (see [`super::commit`]).
//!
//! - **Stale files are moved aside first**, each renamed to a temporary name beside it, before
//!   any file is replaced. A prune that cannot happen (a read-only directory) fails there,
//!   while everything can still be put back; the moved files are deleted only once the render
//!   is in place.
//! - **The journal** (`out/.platgen-manifest.pending`) lists every file the commit is about to
//!   rename into place, with its new hash, and is on disk before the first rename. A process
//!   killed among the renames leaves files that the manifest does not list yet: the journal
//!   says platgen wrote them, so the next run treats them as its own (never as files in the
//!   way, never as edits by hand) and `check` reports the render as interrupted. The journal is
//!   removed once the new manifest is in place.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::{MANIFEST_NAME, Manifest};
use super::stage::{Place, TEMP_PREFIX};
use super::{Changes, Stager, UNCHANGED, io_error};
use crate::diagnostics::Diagnostic;

/// File name of the journal inside the output directory.
pub const JOURNAL_NAME: &str = ".platgen-manifest.pending";

/// Stale files renamed to temporary names beside them: `(temporary, original)`.
pub(super) struct Aside(Vec<(PathBuf, PathBuf)>);

impl Aside {
    /// Puts every file back where it was.
    pub(super) fn restore(self) {
        for (temp, original) in self.0.into_iter().rev() {
            let _ = fs::rename(temp, original);
        }
    }

    /// Deletes the moved files: the render they were pruned from is in place.
    pub(super) fn delete(self) {
        for (temp, _) in self.0 {
            let _ = fs::remove_file(temp);
        }
    }
}

/// Moves each of `stale` to a temporary name in its directory; on the first failure puts back
/// the ones already moved and reports it.
pub(super) fn move_aside(stale: &[PathBuf]) -> Result<Aside, Diagnostic> {
    let mut moved = Aside(Vec::with_capacity(stale.len()));
    for original in stale {
        let dir = original.parent().unwrap_or(Path::new("."));
        let result = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .make_in(dir, |temp| fs::rename(original, temp))
            // Kept: a `NamedTempFile` dropped here would delete the moved file.
            .and_then(|temp| temp.keep().map_err(|e| e.error));
        match result {
            Ok((_, temp)) => moved.0.push((temp, original.clone())),
            Err(e) => {
                moved.restore();
                return Err(
                    io_error(format!("cannot remove stale {}", original.display()), e)
                        .help(UNCHANGED),
                );
            }
        }
    }
    Ok(moved)
}

/// Writes the journal of the renames `changes` is about to make, durably, before any of them.
pub(super) fn write(out_dir: &Path, stager: &Stager, changes: &Changes) -> Result<(), Diagnostic> {
    let pending = Manifest {
        entries: changes
            .added
            .iter()
            .chain(&changes.modified)
            .filter_map(|path| {
                Some((
                    path.clone(),
                    changes.next_manifest.entries.get(path)?.clone(),
                ))
            })
            .collect(),
    };
    let failed = |e| {
        io_error(
            format!("cannot write {}", out_dir.join(JOURNAL_NAME).display()),
            e,
        )
        .help(UNCHANGED)
    };
    let staged = stager.stage(JOURNAL_NAME, pending.to_text().as_bytes())?;
    let Place::Beside { temp, target } = staged.place else {
        return Ok(());
    };
    fs::File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(failed)?;
    temp.persist(&target).map_err(|e| failed(e.error))?;
    fs::File::open(out_dir)
        .and_then(|d| d.sync_all())
        .map_err(failed)
}

/// Removes the journal, once the manifest it was written ahead of is in place.
pub(super) fn remove(out_dir: &Path) {
    let _ = fs::remove_file(out_dir.join(JOURNAL_NAME));
}

/// Whether `name` (a path under the output directory) is one of platgen's own bookkeeping
/// files.
pub(super) fn is_bookkeeping(name: &str) -> bool {
    name == MANIFEST_NAME || name == JOURNAL_NAME
}

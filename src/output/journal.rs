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

use super::manifest::MANIFEST_NAME;
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

/// The journal: files an interrupted commit may have put in place, each with the hash it wrote.
/// A path may appear with several hashes: a commit interrupted after another one carries the
/// earlier journal's entries forward.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// `(path, hex SHA-256)`, in the order written.
    pub entries: Vec<(String, String)>,
}

impl Journal {
    /// Parses a journal (the manifest's line format); paths that could leave the output
    /// directory are ignored, as in the manifest.
    pub fn parse(text: &str) -> Self {
        Self {
            entries: text
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split_once("  "))
                .filter(|(_, path)| super::check_path(path).is_ok())
                .map(|(hash, path)| (path.to_owned(), hash.to_owned()))
                .collect(),
        }
    }

    fn to_text(&self) -> String {
        let mut text = String::from(
            "# platgen is replacing these files (`sha256  path`); removed when the render completes.\n",
        );
        for (path, hash) in &self.entries {
            super::manifest::push_line(&mut text, path, hash);
        }
        text
    }

    /// Whether it lists `path`.
    pub fn has(&self, path: &str) -> bool {
        self.entries.iter().any(|(p, _)| p == path)
    }

    /// Whether it lists `path` with `hash`.
    pub fn wrote(&self, path: &str, hash: &str) -> bool {
        self.entries.iter().any(|(p, h)| p == path && h == hash)
    }

    /// The hashes it lists for `path`, in its order.
    pub fn hashes<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> {
        self.entries
            .iter()
            .filter(move |(p, _)| p == path)
            .map(|(_, h)| h.as_str())
    }
}

/// Writes the journal of the renames `changes` is about to make, durably, before any of them,
/// with the entries of an earlier interrupted commit's journal carried forward.
pub(super) fn write(out_dir: &Path, stager: &Stager, changes: &Changes) -> Result<(), Diagnostic> {
    let mut pending = Journal {
        entries: changes.carried.clone(),
    };
    for path in changes.added.iter().chain(&changes.modified) {
        if let Some(hash) = changes.next_manifest.entries.get(path)
            && !pending.wrote(path, hash)
        {
            pending.entries.push((path.clone(), hash.clone()));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::manifest::hash;
    use crate::output::{Observed, OnDisk, Other, Scope, compare, read_manifest};

    /// A commit interrupted while an earlier one's journal is still there writes a journal that
    /// keeps the earlier entries: every file either commit may have put in place stays
    /// platgen's.
    #[test]
    fn a_second_journal_carries_the_first_forward() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        fs::write(
            out.join(MANIFEST_NAME),
            format!("{}  a.yaml\n", hash(b"a1")),
        )
        .expect("write");
        // The first interrupted commit put b.yaml in place and meant to change a.yaml.
        let first = format!("{}  a.yaml\n{}  b.yaml\n", hash(b"a2"), hash(b"b2"));
        fs::write(out.join(JOURNAL_NAME), first).expect("write");
        fs::write(out.join("a.yaml"), b"a1").expect("write");
        fs::write(out.join("b.yaml"), b"b2").expect("write");
        let current = read_manifest(out).expect("readable");
        assert!(current.owns("b.yaml") && current.wrote("a.yaml", &hash(b"a2")));
        // The second render changes a.yaml to a3 and no longer renders b.yaml.
        let a3 = Observed {
            hash: hash(b"a3"),
            content: None,
            on_disk: OnDisk::Different(Other::of(b"a1")),
            stat: None,
            wrong_mode: false,
        };
        let scope = Scope { env: None };
        let changes = compare(
            out,
            &current,
            &[("a.yaml", &a3)],
            &scope,
            &Default::default(),
        )
        .expect("compared");
        assert!(changes.edited_by_hand.is_empty(), "{changes:?}");
        assert_eq!(changes.removed, ["b.yaml"]);
        write(out, &Stager::new(out), &changes).expect("journal written");
        let journal = read_manifest(out)
            .expect("readable")
            .interrupted
            .expect("journal");
        for (path, content) in [("a.yaml", &b"a2"[..]), ("b.yaml", b"b2"), ("a.yaml", b"a3")] {
            assert!(journal.wrote(path, &hash(content)), "{path}: {journal:?}");
        }
    }
}

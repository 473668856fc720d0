//! Stage 8: compare the rendered files with the output directory, and write them atomically.
//!
//! Comparing is per file ([`observe`], run in parallel with rendering): read what is on disk at
//! the file's path, compare the bytes, hash the rendered content for the manifest. [`compare()`]
//! then turns the observations and the manifest into [`Changes`], which `render` writes
//! ([`write()`]), `check` reports and `diff` shows. See [`write()`] for the crash-safety
//! guarantees.

mod compare;
mod guard;
mod journal;
mod lock;
pub mod manifest;
pub mod mode;
mod obstacle;
mod stage;
mod write;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

use crate::diagnostics::Diagnostic;
pub use compare::{
    Changes, Observed, OnDisk, Other, Scope, compare, observe, observe_absent, observe_blocked,
    written_by_platgen,
};
pub use guard::{Blocked, check_dirs};
pub use journal::{JOURNAL_NAME, Journal};
pub use lock::{Access, OutputLock, lock};
use manifest::{MANIFEST_NAME, Malformed, Manifest, hash};
pub use obstacle::Obstacle;
pub use stage::{Staged, StagedRender, Stager, TEMP_PREFIX};
pub use write::{commit, commit_then, remove_leftovers_below, write};

/// The help of an I/O error that struck before anything in the output directory changed.
const UNCHANGED: &str = "nothing was changed in the output directory";

fn io_error(what: String, error: std::io::Error) -> Diagnostic {
    Diagnostic::error("E0501", format!("{what}: {error}"))
}

/// The manifest as found in the output directory.
#[derive(Debug, Clone, Default)]
pub struct ManifestOnDisk {
    /// Its entries (empty when there is none).
    pub manifest: Manifest,
    /// Whether the file exists.
    pub exists: bool,
    /// Its first line that is not as platgen writes it, if any: render rewrites it.
    pub malformed: Option<Malformed>,
    /// The journal of a commit that was interrupted (see the `journal` module): files it may
    /// have renamed into place, with their new hashes.
    pub interrupted: Option<Journal>,
}

impl ManifestOnDisk {
    /// Whether platgen wrote `path` (the manifest lists it, or an interrupted commit did).
    pub fn owns(&self, path: &str) -> bool {
        self.manifest.entries.contains_key(path)
            || self.interrupted.as_ref().is_some_and(|j| j.has(path))
    }

    /// Whether platgen wrote content hashing to `hash` at `path`: what the manifest records,
    /// or what an interrupted commit was putting there.
    pub fn wrote(&self, path: &str, hash: &str) -> bool {
        self.hashes(path).any(|h| h == hash)
    }

    /// The hashes platgen may have last written at `path`: the manifest's, then the journal's.
    fn hashes<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> {
        let journal = self.interrupted.iter().flat_map(move |j| j.hashes(path));
        self.manifest
            .entries
            .get(path)
            .map(String::as_str)
            .into_iter()
            .chain(journal)
    }
}

/// Reads the manifest of `out_dir` (empty when there is none), and the journal of an
/// interrupted commit.
pub fn read_manifest(out_dir: &Path) -> Result<ManifestOnDisk, Diagnostic> {
    manifest_from(out_dir, read_manifest_bytes(out_dir)?)
}

/// The bytes of the manifest of `out_dir`, when there is one: what [`manifest_from`] reads.
pub fn read_manifest_bytes(out_dir: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    if fs::metadata(out_dir).is_ok_and(|m| !m.is_dir()) {
        return Err(Diagnostic::error(
            "E0501",
            format!(
                "the output directory {} is not a directory",
                out_dir.display()
            ),
        )
        .help(format!("pass a directory with --out; {UNCHANGED}")));
    }
    // Read as every other file there: never through a link, never blocking on a FIFO.
    let mut bytes = Vec::new();
    let found = guard::read_bookkeeping(&out_dir.join(MANIFEST_NAME), &mut bytes)?.is_some();
    Ok(found.then_some(bytes))
}

/// The manifest of `out_dir` read from `bytes` (see [`read_manifest_bytes`]), with the journal
/// of an interrupted commit read from the directory.
pub fn manifest_from(out_dir: &Path, bytes: Option<Vec<u8>>) -> Result<ManifestOnDisk, Diagnostic> {
    let (manifest, malformed) = match &bytes {
        Some(bytes) => Manifest::parse(bytes),
        None => (Manifest::default(), None),
    };
    Ok(ManifestOnDisk {
        exists: bytes.is_some(),
        manifest,
        malformed,
        interrupted: read_bookkeeping(&out_dir.join(JOURNAL_NAME))?.map(|t| Journal::parse(&t)),
    })
}

/// The text of the journal at `path`, if there is one.
fn read_bookkeeping(path: &Path) -> Result<Option<String>, Diagnostic> {
    let mut bytes = Vec::new();
    Ok(guard::read_bookkeeping(path, &mut bytes)?
        .map(|_| String::from_utf8_lossy(&bytes).into_owned()))
}

/// What is at a path of the output directory where a file may be.
pub(crate) enum AtPath<'a> {
    /// Nothing.
    Nothing,
    /// A regular file: its bytes, and what `fstat` said of it before they were read.
    File(&'a [u8], &'a fs::Metadata),
    /// Something in the way, neither followed nor read (see [`Obstacle`]).
    Obstacle(Obstacle),
}

impl<'a> AtPath<'a> {
    /// The bytes of the regular file there, if there is one.
    fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            AtPath::File(bytes, _) => Some(bytes),
            _ => None,
        }
    }
}

/// Runs `f` on what is at `path`: the bytes of a regular file, nothing, or an obstacle that is
/// not read (see [`guard`]). The bytes are read into this thread's buffer, which keeps its
/// capacity from file to file: files on disk are compared and hashed by the ten thousand, and
/// rarely kept.
fn with_file_stat<R>(path: &Path, f: impl FnOnce(AtPath<'_>) -> R) -> Result<R, Diagnostic> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        Ok(match guard::read_regular(path, buffer)? {
            guard::Read::Nothing => f(AtPath::Nothing),
            guard::Read::Obstacle(obstacle) => f(AtPath::Obstacle(obstacle)),
            guard::Read::File(meta) => f(AtPath::File(buffer.as_slice(), &meta)),
        })
    })
}

/// The SHA-256 of the regular file at `path`, or `None` when there is none.
pub(crate) fn hash_on_disk(path: &Path) -> Result<Option<String>, Diagnostic> {
    with_file_stat(path, |found| found.bytes().map(hash))
}

/// Whether the file at `path` in `out_dir` is as rendered: its mode is the one render gives it
/// (see [`mode`]) and its bytes have the hex BLAKE3 digest `digest`, or the hex SHA-256 `hash`
/// when the digest is not known. `false` when there is no file or it cannot be read.
pub(crate) fn as_rendered_on_disk(
    out_dir: &Path,
    path: &str,
    hash: &str,
    digest: Option<&str>,
) -> bool {
    with_file_stat(&out_dir.join(path), |found| match found {
        AtPath::File(bytes, meta) => {
            mode::as_rendered(path, meta)
                && match digest {
                    Some(digest) => manifest::hex(blake3::hash(bytes).as_bytes()) == digest,
                    None => self::hash(bytes) == hash,
                }
        }
        AtPath::Nothing | AtPath::Obstacle(_) => false,
    })
    .unwrap_or(false)
}

/// Rejects any rendered path that could escape the output directory.
pub(crate) fn check_path(path: &str) -> Result<(), Diagnostic> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        || journal::is_bookkeeping(path);
    if bad {
        Err(Diagnostic::error(
            "E0404",
            format!("refusing to write outside the output directory: {path:?}"),
        ))
    } else {
        Ok(())
    }
}

/// A file's content as found on disk, for a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// Its bytes (shown lossily where they are not UTF-8).
    pub text: String,
    /// Whether it is executable (see [`mode`]); `None` without Unix modes.
    pub executable: Option<bool>,
}

/// Reads the current content of some files in `out_dir` (None where there is no regular
/// file), for diffs.
pub fn read_current(
    out_dir: &Path,
    paths: &[&str],
) -> Result<BTreeMap<String, Option<Current>>, Diagnostic> {
    crate::parallel::map(paths, |path| {
        let current = with_file_stat(&out_dir.join(path), |found| match found {
            AtPath::File(bytes, meta) => Some(Current {
                text: String::from_utf8_lossy(bytes).into_owned(),
                executable: mode::executable_on_disk(meta),
            }),
            AtPath::Nothing | AtPath::Obstacle(_) => None,
        })?;
        Ok(((*path).to_owned(), current))
    })
    .into_iter()
    .collect()
}

/// Files under `out_dir` that platgen neither owns nor renders (for `check --strict`), sorted.
/// Temporary files an interrupted render left behind count too: the next render removes them.
/// A `.git` entry at any level (out/ as a checkout of its own, a submodule) is git's, never
/// platgen's concern: neither it nor anything in it is listed. A link is listed as itself,
/// never followed; a link to a directory only when no rendered or owned file goes through it
/// (`out/.github → ../.github` is the user's way of placing rendered files elsewhere in the
/// repository, see guard.rs).
pub fn unowned(
    out_dir: &Path,
    current: &ManifestOnDisk,
    rendered: &HashSet<&str>,
) -> Result<Vec<String>, Diagnostic> {
    let mut found = Vec::new();
    if !out_dir.exists() {
        return Ok(found);
    }
    // The folders rendered and owned files go through, made only when a linked folder is met.
    let mut used_dirs: Option<HashSet<&str>> = None;
    let walk = walkdir::WalkDir::new(out_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || entry.file_name() != ".git");
    for entry in walk {
        let entry = entry.map_err(|e| {
            Diagnostic::error("E0501", format!("cannot list {}: {e}", out_dir.display()))
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(out_dir) else {
            continue;
        };
        let path = relative.to_string_lossy().replace('\\', "/");
        if entry.path_is_symlink() && entry.path().is_dir() {
            let used = used_dirs.get_or_insert_with(|| {
                let owned = current.manifest.entries.keys().map(String::as_str);
                let journal = current
                    .interrupted
                    .iter()
                    .flat_map(|j| j.entries.iter().map(|(p, _)| p.as_str()));
                rendered
                    .iter()
                    .copied()
                    .chain(owned)
                    .chain(journal)
                    .flat_map(|p| p.match_indices('/').map(move |(end, _)| &p[..end]))
                    .collect()
            });
            if used.contains(path.as_str()) {
                continue;
            }
        }
        if !journal::is_bookkeeping(&path)
            && !rendered.contains(path.as_str())
            && !current.owns(&path)
        {
            found.push(path);
        }
    }
    Ok(found)
}

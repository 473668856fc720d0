//! Stage 8: compare the rendered files with the output directory, and write them atomically.
//!
//! Comparing is per file ([`observe`], run in parallel with rendering): read what is on disk at
//! the file's path, compare the bytes, hash the rendered content for the manifest. [`compare`]
//! then turns the observations and the manifest into [`Changes`], which `render` writes
//! ([`write()`]), `check` reports and `diff` shows. See [`write()`] for the crash-safety
//! guarantees.

mod guard;
mod journal;
mod lock;
pub mod manifest;
mod stage;
mod write;

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::render::RenderedFile;
pub use guard::check_dirs;
pub use journal::{JOURNAL_NAME, Journal};
pub use lock::{Access, OutputLock, lock};
use manifest::{MANIFEST_NAME, Malformed, Manifest, hash};
pub use stage::{Staged, StagedRender, Stager, TEMP_PREFIX};
pub use write::{commit, remove_leftovers_below, write};

/// What a render would do to the output directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// New files.
    pub added: Vec<String>,
    /// Owned files whose content changes.
    pub modified: Vec<String>,
    /// Owned files no longer rendered (pruned by render).
    pub removed: Vec<String>,
    /// Owned files whose content on disk is not what platgen wrote (each is also in `modified`
    /// or `removed`, unless it was edited to exactly the rendered content).
    pub edited_by_hand: Vec<String>,
    /// Files platgen does not own sitting where it would write (with other content): render
    /// refuses to overwrite them.
    pub unowned_conflicts: Vec<String>,
    /// Files already exactly as rendered.
    pub unchanged: usize,
    /// The manifest the render leaves behind.
    pub next_manifest: Manifest,
    /// Whether `out/.platgen-manifest` is missing, malformed, or lists other entries than
    /// `next_manifest` (render rewrites it).
    pub manifest_stale: bool,
    /// The manifest's first line that is not as platgen writes it (see [`Manifest::parse`]).
    pub manifest_malformed: Option<Malformed>,
    /// Whether a render was interrupted while it replaced files (its journal is there): the
    /// output directory may hold a mix of old and new files until render runs again.
    pub interrupted: bool,
    /// The entries of that interrupted commit's journal, carried into the next journal.
    pub carried: Vec<(String, String)>,
}

impl Changes {
    /// Whether the directory already is exactly what render would leave: no file to add,
    /// change or remove, nothing edited by hand or in the way, and a current manifest.
    pub fn is_clean(&self) -> bool {
        self.added.is_empty()
            && self.modified.is_empty()
            && self.removed.is_empty()
            && self.edited_by_hand.is_empty()
            && self.unowned_conflicts.is_empty()
            && !self.manifest_stale
    }
}

/// Which owned paths a render may prune: all of them, or only those of one environment plus the
/// environment-independent ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The environment rendered, when `--env` was given.
    pub env: Option<String>,
}

impl Scope {
    /// Whether a render in this scope owns (may write or prune) `path`: with `--env`, the files
    /// under that environment's folder and under the shared ones ([`crate::plan::SHARED_DIRS`]).
    /// Any other folder is another environment's, even one no longer in `platform.toml`: only a
    /// render of every environment prunes it.
    pub(crate) fn covers(&self, path: &str) -> bool {
        let Some(env) = &self.env else { return true };
        let first = path.split('/').next().unwrap_or_default();
        first == env || crate::plan::SHARED_DIRS.contains(&first)
    }
}

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

    /// Every owned path, once, sorted: the manifest's and the journal's.
    fn owned_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.manifest.entries.keys().map(String::as_str).collect();
        if let Some(journal) = &self.interrupted {
            paths.extend(journal.entries.iter().map(|(p, _)| p.as_str()));
            paths.sort_unstable();
            paths.dedup();
        }
        paths
    }

    /// The hashes platgen may have last written at `path`: the manifest's, then the journal's.
    fn hashes<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> {
        let journal = self.interrupted.iter().flat_map(move |j| {
            j.entries
                .iter()
                .filter(move |(p, _)| p == path)
                .map(|(_, h)| h.as_str())
        });
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
    let found = guard::read_regular(&out_dir.join(MANIFEST_NAME), &mut bytes)?.is_some();
    let (manifest, malformed) = if found {
        Manifest::parse(&bytes)
    } else {
        (Manifest::default(), None)
    };
    Ok(ManifestOnDisk {
        exists: found,
        manifest,
        malformed,
        interrupted: read_bookkeeping(&out_dir.join(JOURNAL_NAME))?.map(|t| Journal::parse(&t)),
    })
}

/// The text of the journal at `path`, if there is one.
fn read_bookkeeping(path: &Path) -> Result<Option<String>, Diagnostic> {
    let mut bytes = Vec::new();
    Ok(
        guard::read_regular(path, &mut bytes)?
            .map(|_| String::from_utf8_lossy(&bytes).into_owned()),
    )
}

/// Runs `f` on the bytes of the file at `path` (`None` when there is no file; an error when a
/// link or something other than a regular file is there, see [`guard`]). They are read
/// into this thread's buffer, which keeps its capacity from file to file: files on disk are
/// compared and hashed by the ten thousand, and rarely kept.
fn with_file<R>(path: &Path, f: impl FnOnce(Option<&[u8]>) -> R) -> Result<R, Diagnostic> {
    with_file_stat(path, |found| f(found.map(|(bytes, _)| bytes)))
}

/// [`with_file`], with what `fstat` said of the file before its bytes were read.
fn with_file_stat<R>(
    path: &Path,
    f: impl FnOnce(Option<(&[u8], &std::fs::Metadata)>) -> R,
) -> Result<R, Diagnostic> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        let found = guard::read_regular(path, buffer)?;
        Ok(f(found.as_ref().map(|meta| (buffer.as_slice(), meta))))
    })
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    with_file(path, |bytes| bytes.map(<[u8]>::to_vec))
}

/// The SHA-256 of the file at `path`, or `None` when there is no file.
pub(crate) fn hash_on_disk(path: &Path) -> Result<Option<String>, Diagnostic> {
    with_file(path, |bytes| bytes.map(hash))
}

/// What is on disk where a rendered file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDisk {
    /// No file.
    Missing,
    /// A file with exactly the rendered bytes.
    Same,
    /// A file with other bytes; the SHA-256 of those.
    Different(String),
}

/// A rendered file set against the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// SHA-256 of the rendered content (what the manifest records).
    pub hash: String,
    /// What is on disk at its path.
    pub on_disk: OnDisk,
    /// When it is [`OnDisk::Same`]: what `fstat` said of the file just before the bytes that
    /// proved it the same were read (see [`crate::incremental`]).
    pub stat: Option<crate::incremental::FileStat>,
}

/// Reads what is at `file`'s path under `out_dir` and compares it with the rendered content.
pub fn observe(out_dir: &Path, file: &RenderedFile) -> Result<Observed, Diagnostic> {
    check_path(&file.path)?;
    let (on_disk, stat) = with_file_stat(&out_dir.join(&file.path), |found| match found {
        None => (OnDisk::Missing, None),
        Some((bytes, meta)) if bytes == file.content.as_bytes() => (
            OnDisk::Same,
            crate::incremental::FileStat::from_metadata(meta),
        ),
        Some((bytes, _)) => (OnDisk::Different(hash(bytes)), None),
    })?;
    Ok(Observed {
        hash: hash(file.content.as_bytes()),
        on_disk,
        stat,
    })
}

/// [`observe`] for an output directory that does not exist (see [`Stager::fresh`]): nothing
/// to read.
pub fn observe_absent(file: &RenderedFile) -> Result<Observed, Diagnostic> {
    check_path(&file.path)?;
    Ok(Observed {
        hash: hash(file.content.as_bytes()),
        on_disk: OnDisk::Missing,
        stat: None,
    })
}

/// Whether platgen itself wrote exactly this content before: the file on disk is byte-identical
/// and the manifest records the content's hash. Such a file was verified when it was written.
pub fn written_by_platgen(current: &ManifestOnDisk, path: &str, observed: &Observed) -> bool {
    observed.on_disk == OnDisk::Same && current.wrote(path, &observed.hash)
}

/// Compares the rendered files (each path with its [`observe`] result) with the output
/// directory.
pub fn compare(
    out_dir: &Path,
    current: &ManifestOnDisk,
    rendered: &[(&str, &Observed)],
    scope: &Scope,
) -> Result<Changes, Diagnostic> {
    let mut changes = Changes::default();
    for &(file_path, seen) in rendered {
        let owned = current.owns(file_path);
        let path = || file_path.to_owned();
        match &seen.on_disk {
            OnDisk::Missing => changes.added.push(path()),
            OnDisk::Same => {
                changes.unchanged += 1;
                if owned && !current.wrote(file_path, &seen.hash) {
                    changes.edited_by_hand.push(path());
                }
            }
            OnDisk::Different(on_disk) => {
                if !owned {
                    changes.unowned_conflicts.push(path());
                } else {
                    if !current.wrote(file_path, on_disk) {
                        changes.edited_by_hand.push(path());
                    }
                    changes.modified.push(path());
                }
            }
        }
    }
    let paths: HashSet<&str> = rendered.iter().map(|(path, _)| *path).collect();
    let owned = current.owned_paths();
    let stale: Vec<&str> = owned
        .iter()
        .copied()
        .filter(|path| !paths.contains(path) && scope.covers(path))
        .collect();
    let on_disk = crate::parallel::map(&stale, |path| hash_on_disk(&out_dir.join(path)));
    for (path, disk_hash) in stale.iter().zip(on_disk) {
        if let Some(disk_hash) = disk_hash? {
            if !current.wrote(path, &disk_hash) {
                changes.edited_by_hand.push((*path).to_owned());
            }
            changes.removed.push((*path).to_owned());
        }
    }
    changes.edited_by_hand.sort();

    // Every rendered file with its new hash, and the owned files of other environments (where
    // an interrupted commit leaves two candidate hashes, the one on disk).
    let mut kept = BTreeMap::new();
    for path in owned {
        if scope.covers(path) || paths.contains(path) {
            continue;
        }
        let mut hashes = current.hashes(path);
        let Some(first) = hashes.next() else { continue };
        let mut others = hashes.filter(|h| *h != first).peekable();
        let hash = if others.peek().is_none() {
            first
        } else {
            let disk = hash_on_disk(&out_dir.join(path))?;
            let on_disk = |h: &&str| disk.as_deref() == Some(*h);
            [first]
                .into_iter()
                .chain(others)
                .find(on_disk)
                .unwrap_or(first)
        };
        kept.insert(path.to_owned(), hash.to_owned());
    }
    let next = Manifest {
        entries: kept
            .into_iter()
            .chain(
                rendered
                    .iter()
                    .map(|(path, seen)| ((*path).to_owned(), seen.hash.clone())),
            )
            .collect(),
    };
    // Entries, not text: what the manifest says is what matters (and it is cheaper).
    changes.manifest_stale = !current.exists
        || current.interrupted.is_some()
        || current.malformed.is_some()
        || current.manifest != next;
    changes.manifest_malformed.clone_from(&current.malformed);
    changes.interrupted = current.interrupted.is_some();
    changes.carried = current
        .interrupted
        .as_ref()
        .map(|j| j.entries.clone())
        .unwrap_or_default();
    changes.next_manifest = next;
    Ok(changes)
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

/// Reads the current content of some files in `out_dir` (None where there is no file), for
/// diffs. Bytes that are not UTF-8 are shown lossily.
pub fn read_current(
    out_dir: &Path,
    paths: &[&str],
) -> Result<BTreeMap<String, Option<String>>, Diagnostic> {
    crate::parallel::map(paths, |path| {
        let bytes = read_existing(&out_dir.join(path))?;
        Ok((
            (*path).to_owned(),
            bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
        ))
    })
    .into_iter()
    .collect()
}

/// Files under `out_dir` that platgen neither owns nor renders (for `check --strict`), sorted.
/// Temporary files an interrupted render left behind count too: the next render removes them.
pub fn unowned(
    out_dir: &Path,
    current: &ManifestOnDisk,
    rendered: &HashSet<&str>,
) -> Result<Vec<String>, Diagnostic> {
    let mut found = Vec::new();
    if !out_dir.exists() {
        return Ok(found);
    }
    for entry in walkdir::WalkDir::new(out_dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            Diagnostic::error("E0501", format!("cannot list {}: {e}", out_dir.display()))
        })?;
        // A link to a directory (`out/.github → ../.github`) is the user's way of placing
        // rendered files elsewhere in the repository (see guard.rs), not a file in the way; what
        // it leads to is the repository's business.
        let linked_dir = entry.path_is_symlink() && entry.path().is_dir();
        if entry.file_type().is_dir() || linked_dir {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(out_dir) else {
            continue;
        };
        let path = relative.to_string_lossy().replace('\\', "/");
        if !journal::is_bookkeeping(&path)
            && !rendered.contains(path.as_str())
            && !current.owns(&path)
        {
            found.push(path);
        }
    }
    Ok(found)
}

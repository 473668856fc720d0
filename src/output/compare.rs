//! Comparing rendered files with the output directory: each file as it is rendered
//! ([`observe`]), then all of them with the manifest ([`compare`]), into [`Changes`].

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::manifest::{Malformed, Manifest, hash};
use super::{ManifestOnDisk, check_path, hash_on_disk, with_file_stat};
use crate::diagnostics::Diagnostic;
use crate::render::RenderedFile;

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
    /// The BLAKE3 digest of the content, when known (always, for content just rendered): what
    /// the up-to-date cache compares the file with next time (see [`crate::cache`]).
    pub content: Option<crate::plan::inputs::Digest>,
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
        content: Some(blake3::hash(file.content.as_bytes()).into()),
        on_disk,
        stat,
    })
}

/// [`observe`] for an output directory that does not exist (see [`super::Stager::fresh`]): nothing
/// to read.
pub fn observe_absent(file: &RenderedFile) -> Result<Observed, Diagnostic> {
    check_path(&file.path)?;
    Ok(Observed {
        hash: hash(file.content.as_bytes()),
        content: Some(blake3::hash(file.content.as_bytes()).into()),
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

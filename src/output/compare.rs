//! Comparing rendered files with the output directory: each file as it is rendered
//! ([`observe`]), then all of them with the manifest ([`compare`]), into [`Changes`].

use std::path::Path;

use super::manifest::{Malformed, Manifest, hash};
use super::{AtPath, Blocked, ManifestOnDisk, Obstacle, check_path, hash_on_disk, with_file_stat};
use crate::diagnostics::Diagnostic;
use crate::render::RenderedFile;

/// What a render would do to the output directory. Every list of paths is sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// New files.
    pub added: Vec<String>,
    /// Owned files whose content or mode changes.
    pub modified: Vec<String>,
    /// Files with exactly the rendered bytes but not the execute bit render gives them (see
    /// [`super::mode`]); each is also in `modified`.
    pub modes: Vec<String>,
    /// Owned files holding what platgen wrote with CRLF line endings, as a checkout converts
    /// them (see [`crate::line_endings`]); each is also in `modified` or `removed`, and none is
    /// in `edited_by_hand`.
    pub line_endings: Vec<String>,
    /// Owned files no longer rendered (pruned by render).
    pub removed: Vec<String>,
    /// Owned files whose content on disk is not what platgen wrote (each is also in `modified`
    /// or `removed`, unless it was edited to exactly the rendered content).
    pub edited_by_hand: Vec<String>,
    /// Files platgen does not own sitting where it would write (with other content): render
    /// refuses to overwrite them.
    pub unowned_conflicts: Vec<String>,
    /// What else is in the way, sorted by path: a link, folder or special file where a file
    /// goes or an owned file was, a file or broken link where a folder goes (see
    /// [`Obstacle`]). Render refuses to replace them; nothing below a blocked folder is read,
    /// and its files are in no other list.
    pub obstacles: Vec<(String, Obstacle)>,
    /// Files already exactly as rendered.
    pub unchanged: usize,
    /// The manifest the render leaves behind.
    pub next_manifest: Manifest,
    /// Whether `out/.platgen-manifest` is missing, malformed, or lists other entries than
    /// `next_manifest` (render rewrites it).
    pub manifest_stale: bool,
    /// Whether there is no `out/.platgen-manifest` at all: then every file platgen wrote looks
    /// like another's.
    pub manifest_missing: bool,
    /// The manifest's first line that is not as platgen writes it (see [`Manifest::parse`]).
    pub manifest_malformed: Option<Malformed>,
    /// Whether a render was interrupted while it replaced files (its journal is there): the
    /// output directory may hold a mix of old and new files until render runs again.
    pub interrupted: bool,
    /// The entries of that interrupted commit's journal, carried into the next journal.
    pub carried: Vec<(String, String)>,
}

impl Changes {
    /// Lists the owned file at `path` by who changed it since platgen wrote it, if anyone did.
    fn departed(&mut self, path: &str, departure: Option<Departure>) {
        match departure {
            None => {}
            Some(Departure::LineEndings) => self.line_endings.push(path.to_owned()),
            Some(Departure::ByHand) => self.edited_by_hand.push(path.to_owned()),
        }
    }

    /// Whether the directory already is exactly what render would leave: no file to add,
    /// change or remove, nothing edited by hand or in the way, and a current manifest.
    pub fn is_clean(&self) -> bool {
        self.added.is_empty()
            && self.modified.is_empty()
            && self.removed.is_empty()
            && self.edited_by_hand.is_empty()
            && self.unowned_conflicts.is_empty()
            && self.obstacles.is_empty()
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
    /// A file with other bytes.
    Different(Other),
    /// Something that is not a regular file (see [`Obstacle`]): not read.
    Obstacle(Obstacle),
    /// Nothing known: something is in the way of a folder above (see [`Blocked`]).
    Blocked,
}

/// Bytes on disk that are not the rendered ones, as hashes: enough to tell who changed them
/// since platgen wrote what the manifest records (`Other::departure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other {
    /// Their SHA-256.
    pub hash: String,
    /// When they have a CRLF: their SHA-256 with CRLF read as LF (see [`crate::line_endings`]).
    pub lf_hash: Option<String>,
}

/// Who changed a file since platgen wrote it.
enum Departure {
    /// A checkout that converted its line endings (see [`crate::line_endings`]).
    LineEndings,
    /// Someone editing it.
    ByHand,
}

impl Other {
    /// The hashes of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            hash: hash(bytes),
            lf_hash: crate::line_endings::lf_hash(bytes),
        }
    }

    /// Who changed these bytes, given whether platgen wrote content with a hash there: nobody
    /// (`None`: they are platgen's own), a converting checkout, or a hand.
    fn departure(&self, wrote: impl Fn(&str) -> bool) -> Option<Departure> {
        if wrote(&self.hash) {
            None
        } else if self.lf_hash.as_deref().is_some_and(wrote) {
            Some(Departure::LineEndings)
        } else {
            Some(Departure::ByHand)
        }
    }
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
    /// When it is [`OnDisk::Same`] with the right mode: what `fstat` said of the file just
    /// before the bytes that proved it the same were read (see [`crate::incremental`]).
    pub stat: Option<crate::incremental::FileStat>,
    /// Whether a file is on disk without the execute bit render gives it (see [`super::mode`]).
    pub wrong_mode: bool,
}

impl Observed {
    /// Whether the file on disk is exactly what render writes: its bytes and its mode.
    pub fn as_rendered(&self) -> bool {
        self.on_disk == OnDisk::Same && !self.wrong_mode
    }
}

/// Reads what is at `file`'s path under `out_dir` and compares it with the rendered content.
pub fn observe(out_dir: &Path, file: &RenderedFile) -> Result<Observed, Diagnostic> {
    check_path(&file.path)?;
    let (on_disk, stat, wrong_mode) =
        with_file_stat(&out_dir.join(&file.path), |found| match found {
            AtPath::Nothing => (OnDisk::Missing, None, false),
            AtPath::Obstacle(obstacle) => (OnDisk::Obstacle(obstacle), None, false),
            AtPath::File(bytes, meta) => {
                let wrong_mode = !super::mode::as_rendered(&file.path, meta);
                if bytes == file.content.as_bytes() {
                    let stat = crate::incremental::FileStat::from_metadata(meta);
                    (OnDisk::Same, stat.filter(|_| !wrong_mode), wrong_mode)
                } else {
                    (OnDisk::Different(Other::of(bytes)), None, wrong_mode)
                }
            }
        })?;
    Ok(Observed {
        hash: hash(file.content.as_bytes()),
        content: Some(blake3::hash(file.content.as_bytes()).into()),
        on_disk,
        stat,
        wrong_mode,
    })
}

/// [`observe`] for an output directory that does not exist (see [`super::Stager::fresh`]): nothing
/// to read.
pub fn observe_absent(file: &RenderedFile) -> Result<Observed, Diagnostic> {
    observe_nothing(file, OnDisk::Missing)
}

/// [`observe`] for a file below a folder something is in the way of (see [`Blocked`]): nothing
/// is read there.
pub fn observe_blocked(file: &RenderedFile) -> Result<Observed, Diagnostic> {
    observe_nothing(file, OnDisk::Blocked)
}

fn observe_nothing(file: &RenderedFile, on_disk: OnDisk) -> Result<Observed, Diagnostic> {
    check_path(&file.path)?;
    Ok(Observed {
        hash: hash(file.content.as_bytes()),
        content: Some(blake3::hash(file.content.as_bytes()).into()),
        on_disk,
        stat: None,
        wrong_mode: false,
    })
}

/// Whether platgen itself wrote exactly this content before: the file on disk is byte-identical
/// and the manifest records the content's hash. Such a file was verified when it was written.
pub fn written_by_platgen(current: &ManifestOnDisk, path: &str, observed: &Observed) -> bool {
    observed.on_disk == OnDisk::Same && current.wrote(path, &observed.hash)
}

/// Compares the rendered files (each path with its [`observe`] result, sorted by path) with the
/// output directory, where the folders `blocked` names are in the way.
pub fn compare(
    out_dir: &Path,
    current: &ManifestOnDisk,
    rendered: &[(&str, &Observed)],
    scope: &Scope,
    blocked: &Blocked,
) -> Result<Changes, Diagnostic> {
    debug_assert!(
        rendered.windows(2).all(|w| w[0].0 < w[1].0),
        "rendered files come sorted by path, each once"
    );
    let journal = current.interrupted.as_ref();
    // The manifest and the rendered files are both sorted by path: one walk of the two finds
    // each rendered file's entry and the entries no longer rendered, with no lookup per file
    // (tens of thousands at a thousand services).
    let mut entries = current.manifest.entries.iter().peekable();
    let mut recorded: Vec<Option<&str>> = Vec::with_capacity(rendered.len());
    // Owned files not rendered, each with its manifest hash (none when only the journal has it).
    let mut gone: Vec<(&str, Option<&str>)> = Vec::new();
    for &(path, _) in rendered {
        while let Some((p, h)) = entries.next_if(|(p, _)| p.as_str() < path) {
            gone.push((p, Some(h)));
        }
        recorded.push(
            entries
                .next_if(|(p, _)| p.as_str() == path)
                .map(|(_, h)| h.as_str()),
        );
    }
    gone.extend(entries.map(|(p, h)| (p.as_str(), Some(h.as_str()))));
    if let Some(journal) = journal {
        let rendered_at = |path: &str| rendered.binary_search_by(|(p, _)| (*p).cmp(path)).is_ok();
        gone.extend(
            journal
                .entries
                .iter()
                .map(|(p, _)| p.as_str())
                .filter(|p| !rendered_at(p) && !current.manifest.entries.contains_key(*p))
                .map(|p| (p, None)),
        );
        gone.sort_unstable();
        gone.dedup();
    }

    let mut changes = Changes::default();
    for (&(file_path, seen), recorded) in rendered.iter().zip(&recorded) {
        let owned = recorded.is_some() || journal.is_some_and(|j| j.has(file_path));
        // Whether platgen wrote content hashing to `hash` here (see ManifestOnDisk::wrote).
        let wrote = |hash: &str| {
            *recorded == Some(hash) || journal.is_some_and(|j| j.wrote(file_path, hash))
        };
        let path = || file_path.to_owned();
        match &seen.on_disk {
            OnDisk::Missing => changes.added.push(path()),
            OnDisk::Same => {
                // Only the mode is off: render replaces the file (with the same bytes).
                if seen.wrong_mode {
                    changes.modified.push(path());
                    changes.modes.push(path());
                } else {
                    changes.unchanged += 1;
                }
                if owned && !wrote(&seen.hash) {
                    changes.edited_by_hand.push(path());
                }
            }
            OnDisk::Different(on_disk) => {
                if !owned {
                    changes.unowned_conflicts.push(path());
                } else {
                    changes.departed(file_path, on_disk.departure(wrote));
                    changes.modified.push(path());
                }
            }
            OnDisk::Obstacle(obstacle) => changes.obstacles.push((path(), *obstacle)),
            // The folder's obstacle stands for everything below it.
            OnDisk::Blocked => {}
        }
    }
    let stale: Vec<&str> = gone
        .iter()
        .map(|(path, _)| *path)
        .filter(|path| scope.covers(path) && !blocked.covers(path))
        .collect();
    let on_disk = crate::parallel::map(&stale, |path| {
        with_file_stat(&out_dir.join(path), |found| match found {
            AtPath::Nothing => None,
            AtPath::File(bytes, _) => Some(Ok(Other::of(bytes))),
            AtPath::Obstacle(obstacle) => Some(Err(obstacle)),
        })
    });
    for (path, found) in stale.iter().zip(on_disk) {
        match found? {
            None => {}
            Some(Ok(other)) => {
                changes.departed(path, other.departure(|h| current.wrote(path, h)));
                changes.removed.push((*path).to_owned());
            }
            // Render prunes files, never what replaced them.
            Some(Err(obstacle)) => changes.obstacles.push(((*path).to_owned(), obstacle)),
        }
    }
    changes
        .obstacles
        .extend(blocked.obstacles().iter().cloned());
    // Sorted, to be looked up by path.
    changes.obstacles.sort_by(|a, b| a.0.cmp(&b.0));
    changes.edited_by_hand.sort();
    changes.line_endings.sort();
    changes.modes.sort();

    // Every rendered file with its new hash, and the owned files of other environments (where
    // an interrupted commit leaves two candidate hashes, the one on disk).
    let mut kept = Vec::new();
    for &(path, recorded) in &gone {
        if scope.covers(path) {
            continue;
        }
        let journal_hashes = journal.into_iter().flat_map(|j| j.hashes(path));
        let mut hashes = recorded.into_iter().chain(journal_hashes);
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
        kept.push((path.to_owned(), hash.to_owned()));
    }
    // Both sorted and apart: the map is built from them in order.
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
    changes.manifest_missing = !current.exists;
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

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::output::read_manifest;

    fn observed(content: &[u8], on_disk: OnDisk) -> Observed {
        Observed {
            hash: hash(content),
            content: None,
            on_disk,
            stat: None,
            wrong_mode: false,
        }
    }

    /// A file with the rendered bytes but not its mode is changed, owned or not, and named
    /// among the modes; with other bytes too, it is changed as any other.
    #[test]
    fn a_wrong_mode_is_a_change_of_its_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let current = read_manifest(dir.path()).expect("readable");
        let wrong = |content: &[u8], on_disk| Observed {
            wrong_mode: true,
            ..observed(content, on_disk)
        };
        let files = [
            ("a.sh", wrong(b"a", OnDisk::Same)),
            ("b.sh", observed(b"b", OnDisk::Same)),
            ("c.sh", wrong(b"c", OnDisk::Different(Other::of(b"old")))),
        ];
        assert!(!files[0].1.as_rendered() && files[1].1.as_rendered());
        let rendered: Vec<(&str, &Observed)> = files.iter().map(|(p, o)| (*p, o)).collect();
        let changes = compare(
            dir.path(),
            &current,
            &rendered,
            &Scope { env: None },
            &Blocked::default(),
        )
        .expect("ok");
        assert_eq!(changes.modified, ["a.sh"]);
        assert_eq!(changes.modes, ["a.sh"]);
        assert_eq!(changes.unchanged, 1);
        // c.sh is no file of platgen's (there is no manifest): in the way, mode or not.
        assert_eq!(changes.unowned_conflicts, ["c.sh"]);
        assert!(!changes.is_clean());
    }

    /// Owned files holding what platgen wrote with CRLF line endings, rendered again (with
    /// new content, even) or no longer rendered, are conversions, not hand edits; a file whose
    /// bytes differ otherwise too is a hand edit.
    #[test]
    fn line_endings_a_checkout_converted_are_no_hand_edit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        let header = Manifest::default().to_text();
        let mut manifest = header.clone();
        for (path, content) in [("a.yaml", "a\n"), ("b.yaml", "b\n"), ("gone.yaml", "g\n")] {
            manifest.push_str(&format!("{}  {path}\n", hash(content.as_bytes())));
        }
        fs::write(out.join(super::super::manifest::MANIFEST_NAME), manifest).expect("write");
        fs::write(out.join("gone.yaml"), "g\r\n").expect("write");
        let current = read_manifest(out).expect("readable");
        let converted = |on_disk: &[u8], rendered: &[u8]| {
            observed(rendered, OnDisk::Different(Other::of(on_disk)))
        };
        let files = [
            ("a.yaml", converted(b"a\r\n", b"a2\n")),
            ("b.yaml", converted(b"b!\r\n", b"b\n")),
        ];
        let rendered: Vec<(&str, &Observed)> = files.iter().map(|(p, o)| (*p, o)).collect();
        let changes = compare(
            out,
            &current,
            &rendered,
            &Scope { env: None },
            &Blocked::default(),
        )
        .expect("ok");
        assert_eq!(changes.modified, ["a.yaml", "b.yaml"]);
        assert_eq!(changes.removed, ["gone.yaml"]);
        assert_eq!(changes.line_endings, ["a.yaml", "gone.yaml"]);
        assert_eq!(changes.edited_by_hand, ["b.yaml"]);
    }

    /// Rendered files before, between and after the manifest's entries, in and out of a scoped
    /// render's folders, with and without an interrupted commit's journal: each file is found
    /// in the manifest as a lookup per file would find it.
    #[test]
    fn every_rendered_file_meets_its_own_entry_and_only_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path();
        let put = |path: &str, content: &[u8]| {
            let file = out.join(path);
            fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
            fs::write(file, content).expect("write");
        };
        let line = |path: &str, content: &[u8]| format!("{}  {path}\n", hash(content));
        let manifest = [
            line("docker/Dockerfile.api", b"d1"),
            line("prod/a.yaml", b"a1"),
            line("prod/b.yaml", b"b-recorded"),
            line("prod/gone.yaml", b"g1"),
            line("prod/gone-missing.yaml", b"m1"),
            line("prod/gone-edited.yaml", b"e1"),
            line("stage/kept.yaml", b"k1"),
            line("zzz/last.yaml", b"z1"),
        ];
        let mut sorted = manifest.to_vec();
        sorted.sort_by(|a, b| a[66..].cmp(&b[66..]));
        let header = Manifest::default().to_text();
        put(
            super::super::manifest::MANIFEST_NAME,
            format!("{header}{}", sorted.concat()).as_bytes(),
        );
        put("docker/Dockerfile.api", b"d1");
        put("prod/a.yaml", b"a1");
        put("prod/b.yaml", b"b-by-hand");
        put("prod/gone.yaml", b"g1");
        put("prod/gone-edited.yaml", b"e-by-hand");
        put("prod/unowned.yaml", b"theirs");
        put("stage/kept.yaml", b"k1");
        put("zzz/last.yaml", b"z1");
        let current = read_manifest(out).expect("readable");
        assert!(current.malformed.is_none(), "{:?}", current.malformed);
        let files = [
            ("aaa/first.yaml", observed(b"f", OnDisk::Missing)),
            ("docker/Dockerfile.api", observed(b"d1", OnDisk::Same)),
            (
                "prod/a.yaml",
                observed(b"a2", OnDisk::Different(Other::of(b"a1"))),
            ),
            (
                "prod/b.yaml",
                observed(b"b2", OnDisk::Different(Other::of(b"b-by-hand"))),
            ),
            ("prod/new.yaml", observed(b"n", OnDisk::Missing)),
            (
                "prod/unowned.yaml",
                observed(b"u", OnDisk::Different(Other::of(b"theirs"))),
            ),
        ];
        let rendered: Vec<(&str, &Observed)> = files.iter().map(|(p, o)| (*p, o)).collect();
        let everything = compare(
            out,
            &current,
            &rendered,
            &Scope { env: None },
            &Blocked::default(),
        )
        .expect("ok");
        let scoped = Scope {
            env: Some("prod".to_owned()),
        };
        let prod = compare(out, &current, &rendered, &scoped, &Blocked::default()).expect("ok");
        for changes in [&everything, &prod] {
            assert_eq!(changes.added, ["aaa/first.yaml", "prod/new.yaml"]);
            assert_eq!(changes.modified, ["prod/a.yaml", "prod/b.yaml"]);
            assert_eq!(changes.unowned_conflicts, ["prod/unowned.yaml"]);
            assert_eq!(changes.unchanged, 1);
            assert!(changes.manifest_stale);
        }
        assert_eq!(
            everything.removed,
            [
                "prod/gone-edited.yaml",
                "prod/gone.yaml",
                "stage/kept.yaml",
                "zzz/last.yaml"
            ]
        );
        assert_eq!(
            everything.edited_by_hand,
            ["prod/b.yaml", "prod/gone-edited.yaml"]
        );
        // A scoped render keeps the other folders' entries and prunes only its own.
        assert_eq!(prod.removed, ["prod/gone-edited.yaml", "prod/gone.yaml"]);
        assert_eq!(prod.edited_by_hand, everything.edited_by_hand);
        let paths = |changes: &Changes| -> Vec<String> {
            changes.next_manifest.entries.keys().cloned().collect()
        };
        let rendered_paths: Vec<String> = files.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(paths(&everything), rendered_paths);
        let mut with_kept = rendered_paths.clone();
        with_kept.extend(["stage/kept.yaml".to_owned(), "zzz/last.yaml".to_owned()]);
        with_kept.sort();
        assert_eq!(paths(&prod), with_kept);
        assert_eq!(prod.next_manifest.entries["stage/kept.yaml"], hash(b"k1"));
        assert_eq!(prod.next_manifest.entries["prod/a.yaml"], hash(b"a2"));

        // An interrupted commit's journal: what it lists is platgen's too, wherever it falls.
        put(
            super::super::JOURNAL_NAME,
            [
                line("prod/b.yaml", b"b-by-hand"),
                line("prod/journal-only.yaml", b"j1"),
                line("stage/kept.yaml", b"k2"),
                line("prod/unowned.yaml", b"theirs"),
            ]
            .concat()
            .as_bytes(),
        );
        put("prod/journal-only.yaml", b"j1");
        put("stage/kept.yaml", b"k2");
        let current = read_manifest(out).expect("readable");
        assert!(current.interrupted.is_some());
        let prod = compare(out, &current, &rendered, &scoped, &Blocked::default()).expect("ok");
        assert!(prod.unowned_conflicts.is_empty(), "{prod:?}");
        assert_eq!(
            prod.modified,
            ["prod/a.yaml", "prod/b.yaml", "prod/unowned.yaml"]
        );
        assert_eq!(prod.edited_by_hand, ["prod/gone-edited.yaml"]);
        assert_eq!(
            prod.removed,
            [
                "prod/gone-edited.yaml",
                "prod/gone.yaml",
                "prod/journal-only.yaml"
            ]
        );
        // Of the manifest's and the journal's hashes, the one on disk.
        assert_eq!(prod.next_manifest.entries["stage/kept.yaml"], hash(b"k2"));
    }
}

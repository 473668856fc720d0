//! The up-to-date cache: `check`, `render` and `diff` learn that the output directory is
//! exactly what render writes without rendering, when nothing that decides the output changed
//! since platgen last compiled it.
//!
//! Rendering is a pure function of this build of platgen (`BUILD_ID`: a hash of its sources and
//! templates), the platform file's bytes and path, the output path, the `--env` scope and the
//! `--templates` overrides. The BLAKE3 digest of all of them is the [`Key`]; its [`Entry`]
//! records what the render produced: every file's path, SHA-256 (what the manifest gives it)
//! and, where the render knew it, the BLAKE3 digest of its bytes, the environments (which
//! decide what a scoped render owns) and the BLAKE3 digest of the manifest the render left: an
//! entry is read past its first lines only when the output directory's manifest is that one.
//! On a hit, the output directory is up to date when every file hashes to what the entry says
//! and has the mode render gives it (see [`crate::output::mode`]), and the manifest lists
//! exactly what render would leave: the verdict a full render gives, at the cost of hashing the
//! files. A file is hashed with BLAKE3 where the entry has its digest (several times faster than SHA-256 on a CPU without SHA instructions,
//! and as collision-resistant), with SHA-256 otherwise. Anything else — no entry, an unreadable
//! one, one file off — falls back to the full pipeline, which says precisely what differs.
//!
//! Entries live in `$PLATGEN_CACHE_DIR`, else `$XDG_CACHE_HOME/platgen`, else
//! `~/.cache/platgen`, one file per key, the oldest pruned beyond [`KEEP`]. `PLATGEN_CACHE=off`
//! (or `--no-cache`) turns the cache off. Reading or writing it never fails a run.

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::SourceFile;
use crate::output::{self, Scope};
use crate::plan::inputs::Digest;
use crate::render::BUILD_ID;

/// How many entries the cache keeps (the most recently written).
pub const KEEP: usize = 32;

/// First line of every entry; an entry without it is ignored.
const HEADER: &str = "platgen up-to-date cache 4";

/// The hex digits of a SHA-256 or BLAKE3 digest (see `output::manifest::is_hash`), the first
/// two fields of each file's line of an entry.
const HASH_DIGITS: usize = 64;

/// Everything that decides what render writes, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    digest: String,
    dir: PathBuf,
    /// The digest of the `--templates` overrides it was made with (see [`templates_digest`]).
    templates: Vec<u8>,
}

impl Key {
    /// Whether the overrides in `templates` are still those the key was made with: templates
    /// load while rendering, so one edited meanwhile may have rendered some files. Such a
    /// render is not recorded under the key.
    pub fn templates_unchanged(&self, templates: Option<&Path>) -> bool {
        templates_digest(templates).is_some_and(|digest| digest == self.templates)
    }
}

/// What the render of a [`Key`] produced. Kept as the text it is stored as, and read line by
/// line when asked: a large platform's entry lists tens of thousands of files, and a lookup
/// usually needs only the first few to tell that the output directory changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The environment rendered, when `--env` was given, and every environment of the platform
    /// (to tell what a scoped render owns).
    pub scope: Scope,
    /// The stored text: a header, the scope, the BLAKE3 digest of the manifest the render
    /// leaves (see [`Found`]), then a `sha256 blake3  path` line for every rendered file (`-`
    /// for a BLAKE3 digest not known), sorted by path.
    text: String,
    /// Where the files' lines start in `text`.
    files_at: usize,
    /// How many files it lists.
    count: usize,
}

/// One rendered file of an [`Entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFile<'e> {
    /// Its path under the output directory.
    pub path: &'e str,
    /// The hex SHA-256 of its content (what the manifest gives it).
    pub hash: &'e str,
    /// The hex BLAKE3 digest of its content, when the render knew it.
    pub content: Option<&'e str>,
}

/// The cache directory, unless the cache is off.
pub(crate) fn directory() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if var("PLATGEN_CACHE").is_some_and(|v| v == "off" || v == "0") {
        return None;
    }
    var("PLATGEN_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("platgen")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/platgen")))
}

/// The key of a run, or `None` when the cache is off or an override template cannot be read.
pub fn key(
    source: &SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
    out_dir: &Path,
) -> Option<Key> {
    let dir = directory()?;
    let mut hasher = blake3::Hasher::new();
    // Each part is length-prefixed, so no two different inputs hash the same bytes.
    let mut part = |bytes: &[u8]| {
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(BUILD_ID.as_bytes());
    part(source.path.as_os_str().as_encoded_bytes());
    part(source.text.as_bytes());
    part(out_dir.as_os_str().as_encoded_bytes());
    part(env.unwrap_or("\0all").as_bytes());
    let templates = templates_digest(templates)?;
    part(&templates);
    Some(Key {
        digest: output::manifest::hex(hasher.finalize().as_bytes()),
        dir,
        templates,
    })
}

impl Entry {
    /// The entry of a render in `scope` that produced `files`, as `(path, hex SHA-256, BLAKE3
    /// digest if known)` sorted by path, and left a manifest whose text has the BLAKE3 digest
    /// `manifest` (see [`output::manifest::Manifest::text_digest`]).
    pub fn new<'a>(
        scope: Scope,
        manifest: &Digest,
        files: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a Digest>)>,
    ) -> Self {
        let files: Vec<_> = files.into_iter().collect();
        // Made at its final size: a large platform's entry is megabytes.
        let line = |(path, _, _): &(&str, &str, Option<&Digest>)| 2 * HASH_DIGITS + 4 + path.len();
        let head = format!(
            "{HEADER}\nscope {}\nmanifest {}\n",
            scope.env.as_deref().unwrap_or(""),
            output::manifest::hex(manifest)
        );
        let mut text = String::with_capacity(head.len() + files.iter().map(line).sum::<usize>());
        text.push_str(&head);
        let files_at = text.len();
        let count = files.len();
        for (path, hash, content) in files {
            text.push_str(hash);
            text.push(' ');
            match content {
                Some(digest) => output::manifest::push_hex(&mut text, digest),
                None => text.push('-'),
            }
            text.push_str("  ");
            text.push_str(path);
            text.push('\n');
        }
        Self {
            scope,
            text,
            files_at,
            count,
        }
    }

    /// Every rendered file, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = EntryFile<'_>> {
        // Every line is a file's, its digits checked (see `parse`).
        self.text[self.files_at..].lines().filter_map(split_line)
    }

    /// How many files the render produced.
    pub fn file_count(&self) -> usize {
        self.count
    }

    /// The entry stored as `text`, when it is one: every line after the manifest's digest is
    /// a file's.
    fn parse(text: String) -> Option<Self> {
        let (env, _, lines) = head(&text)?;
        let env = (!env.is_empty()).then(|| env.to_owned());
        // After the third line's end (`lines` above accepts one without a line break).
        let files_at = text
            .match_indices('\n')
            .nth(2)
            .map_or(text.len(), |(at, _)| at + 1);
        let mut count = 0;
        let is_hash = output::manifest::is_hash;
        for line in lines {
            let file = split_line(line)?;
            (is_hash(file.hash) && file.content.is_none_or(is_hash)).then_some(())?;
            count += 1;
        }
        Some(Self {
            scope: Scope { env },
            text,
            files_at,
            count,
        })
    }
}

/// A file's line of an entry, cut into its fields: 64 digits of SHA-256, a space, 64 of BLAKE3
/// or `-`, two spaces, the path (which may hold spaces of its own). The digits are checked
/// once, when the entry is read ([`Entry::parse`]).
fn split_line(line: &str) -> Option<EntryFile<'_>> {
    let hash = line.get(..HASH_DIGITS)?;
    let rest = line[HASH_DIGITS..].strip_prefix(' ')?;
    let (content, rest) = match rest.strip_prefix('-') {
        Some(rest) => (None, rest),
        None => {
            let digest = rest.get(..HASH_DIGITS)?;
            (Some(digest), &rest[HASH_DIGITS..])
        }
    };
    let path = rest.strip_prefix("  ").filter(|p| !p.is_empty())?;
    Some(EntryFile {
        path,
        hash,
        content,
    })
}

/// The first lines of an entry's `text`: its scope and the hex digest of the manifest its
/// render left, then the lines after them.
fn head(text: &str) -> Option<(&str, &str, std::str::Lines<'_>)> {
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    let env = lines.next()?.strip_prefix("scope ")?;
    let manifest = lines.next()?.strip_prefix("manifest ")?;
    output::manifest::is_hash(manifest).then_some((env, manifest, lines))
}

/// An entry as found in the cache: its first lines read, its files not yet (a large platform's
/// entry lists tens of thousands; they are read only for the manifest its render left).
#[derive(Debug)]
pub struct Found {
    /// The first lines, as [`head`] reads them.
    head: String,
    /// The entry's file, open after them.
    rest: std::io::BufReader<fs::File>,
}

impl Found {
    /// Whether `manifest` (the bytes of the output directory's manifest) is the manifest the
    /// entry's render left. When it is not, the output directory changed since (another
    /// render, a branch switched, an edit) and the entry is not read further: only a render
    /// can tell what the directory holds. A scoped render's entry is passed over too when
    /// another scope's render changed the manifest since.
    pub fn left_manifest(&self, manifest: &[u8]) -> bool {
        let digest = output::manifest::hex(blake3::hash(manifest).as_bytes());
        head(&self.head).is_some_and(|(_, recorded, _)| recorded == digest)
    }

    /// The whole entry, when every line of it is readable.
    pub fn entry(mut self) -> Option<Entry> {
        std::io::Read::read_to_string(&mut self.rest, &mut self.head).ok()?;
        Entry::parse(self.head)
    }
}

/// The entry of `key`, if the cache has one that starts as an entry does.
pub fn lookup(key: &Key) -> Option<Found> {
    use std::io::BufRead as _;
    let mut rest = std::io::BufReader::new(fs::File::open(key.dir.join(&key.digest)).ok()?);
    let mut text = String::new();
    for _ in 0..3 {
        rest.read_line(&mut text).ok()?;
    }
    head(&text).is_some().then_some(Found { head: text, rest })
}

/// Records what the render of `key` produced. Best effort: a cache that cannot be written is
/// no cache. Written to a temporary file and renamed, so a reader sees a whole entry or none.
pub fn store(key: &Key, entry: &Entry) {
    if write_whole(&key.dir.join(&key.digest), &entry.text).is_ok() {
        prune_entries(&key.dir);
    }
}

/// Writes `text` to `file` in the cache directory through a temporary file renamed over it, so
/// a reader sees a whole file or none.
pub(crate) fn write_whole(file: &Path, text: &str) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.persist(file)?;
    Ok(())
}

/// A digest of the `--templates` overrides (every file's path and bytes, links followed as the
/// template loader follows them); empty without overrides, `None` when one cannot be read.
pub(crate) fn templates_digest(templates: Option<&Path>) -> Option<Vec<u8>> {
    let Some(templates) = templates else {
        return Some(Vec::new());
    };
    let mut hasher = blake3::Hasher::new();
    for entry in walkdir::WalkDir::new(templates)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.ok()?;
        if entry.file_type().is_file() {
            let content = fs::read(entry.path()).ok()?;
            for bytes in [entry.path().as_os_str().as_encoded_bytes(), &content] {
                hasher.update(&(bytes.len() as u64).to_le_bytes());
                hasher.update(bytes);
            }
        }
    }
    Some(hasher.finalize().as_bytes().to_vec())
}

/// Keeps the [`KEEP`] most recently written entries, and as many records of
/// [`crate::incremental`].
fn prune_entries(dir: &Path) {
    prune(dir, "");
    prune(dir, crate::incremental::PREFIX);
}

/// Keeps the [`KEEP`] most recently written files of `dir` named `prefix` and a 64-digit
/// digest (entries) or 32 (records of [`crate::incremental`]).
pub(crate) fn prune(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.strip_prefix(prefix).is_some_and(|digest| {
                digest.len() == if prefix.is_empty() { 64 } else { 32 }
                    && digest.bytes().all(|b| b.is_ascii_hexdigit())
            })
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if found.len() <= KEEP {
        return;
    }
    found.sort();
    for (_, path) in &found[..found.len() - KEEP] {
        let _ = fs::remove_file(path);
    }
}

/// Whether `out_dir` is exactly what the render `entry` describes would leave: the manifest
/// records every rendered file with its hash and no other owned file in scope, each rendered
/// file is on disk with that hash and the mode render gives it, and (for `check --strict`) no other file is there.
/// `current` is the manifest read from `out_dir`; `root` the repository (see
/// [`crate::repository_of`]).
pub fn up_to_date(
    out_dir: &Path,
    root: &Path,
    current: &output::ManifestOnDisk,
    entry: &Entry,
    strict: bool,
) -> bool {
    if !current.exists || current.interrupted.is_some() || current.malformed.is_some() {
        return false;
    }
    let scope = &entry.scope;
    let manifest = &current.manifest.entries;
    // Asked first, as it fails fastest: after a change to the platform, the entry of its
    // earlier version (a revert, a branch switched back) usually differs at once.
    if !entry
        .files()
        .all(|f| manifest.get(f.path).is_some_and(|h| h == f.hash))
    {
        return false;
    }
    let files: Vec<EntryFile<'_>> = entry.files().collect();
    let rendered: HashSet<&str> = files.iter().map(|f| f.path).collect();
    let manifest_current = manifest
        .keys()
        .all(|path| rendered.contains(path.as_str()) || !scope.covers(path));
    let dirs_clear = output::check_dirs(out_dir, root, files.iter().map(|f| f.path))
        .is_ok_and(|blocked| blocked.is_empty());
    if !manifest_current || !dirs_clear {
        return false;
    }
    let on_disk = crate::parallel::map(&files, |f| {
        output::as_rendered_on_disk(out_dir, f.path, f.hash, f.content)
    });
    if !on_disk.into_iter().all(|same| same) {
        return false;
    }
    !strict || output::unowned(out_dir, current, &rendered).is_ok_and(|unowned| unowned.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::manifest::hash;

    #[test]
    fn entries_round_trip() {
        let (x, y) = (hash(b"x"), hash(b"y"));
        let digest: Digest = blake3::hash(b"x").into();
        let files = [
            ("a b/c.yaml", x.as_str(), Some(&digest)),
            ("docker/Dockerfile.api", y.as_str(), None),
        ];
        let hex = output::manifest::hex(&digest);
        let expected = [
            EntryFile {
                path: "a b/c.yaml",
                hash: &x,
                content: Some(&hex),
            },
            EntryFile {
                path: "docker/Dockerfile.api",
                hash: &y,
                content: None,
            },
        ];
        for env in [Some("production".to_owned()), None] {
            let entry = Entry::new(Scope { env: env.clone() }, &digest, files);
            assert_eq!(entry.files().collect::<Vec<_>>(), expected);
            assert_eq!(entry.file_count(), 2);
            let read = Entry::parse(entry.text.clone()).expect("an entry");
            assert_eq!(read, entry);
            assert_eq!(read.scope.env, env);
            assert_eq!(read.files().collect::<Vec<_>>(), expected);
        }
        let none = Entry::new(Scope { env: None }, &digest, []);
        assert_eq!(Entry::parse(none.text.clone()), Some(none));
    }

    #[test]
    fn files_are_compared_by_their_blake3_digest_where_known_else_by_sha256() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir_all(&out).expect("mkdir");
        let (a, b) = (b"a: 1\n".as_slice(), b"b: 2\n".as_slice());
        fs::write(out.join("a.yaml"), a).expect("write");
        fs::write(out.join("b.yaml"), b).expect("write");
        let (hash_a, hash_b) = (hash(a), hash(b));
        let manifest = output::manifest::Manifest {
            entries: [
                ("a.yaml".to_owned(), hash_a.clone()),
                ("b.yaml".to_owned(), hash_b.clone()),
            ]
            .into(),
        };
        let manifest_file = out.join(output::manifest::MANIFEST_NAME);
        fs::write(&manifest_file, manifest.to_text()).expect("write");
        let current = output::read_manifest(&out).expect("readable");
        let scope = || Scope { env: None };
        let digest_a: Digest = blake3::hash(a).into();
        let wrong: Digest = blake3::hash(b"a: 2\n").into();
        let entry = |content: Option<&Digest>| {
            Entry::new(
                scope(),
                &manifest.text_digest(),
                [
                    ("a.yaml", hash_a.as_str(), content),
                    ("b.yaml", hash_b.as_str(), None),
                ],
            )
        };
        let fresh = |e: &Entry| up_to_date(&out, dir.path(), &current, e, false);
        assert!(fresh(&entry(Some(&digest_a))), "by BLAKE3");
        assert!(fresh(&entry(None)), "by SHA-256");
        // The digest decides where there is one: a wrong one is a miss.
        assert!(!fresh(&entry(Some(&wrong))));
        // An edit is seen either way, whichever hash compares the file.
        fs::write(out.join("b.yaml"), b"b: 3\n").expect("edit");
        assert!(!fresh(&entry(Some(&digest_a))));
        fs::write(out.join("b.yaml"), b).expect("restore");
        fs::write(out.join("a.yaml"), b"a: 9\n").expect("edit");
        assert!(!fresh(&entry(Some(&digest_a))));
        assert!(!fresh(&entry(None)));
        // A file gone is a miss either way.
        fs::remove_file(out.join("a.yaml")).expect("remove");
        assert!(!fresh(&entry(Some(&digest_a))));
        assert!(!fresh(&entry(None)));
    }

    #[test]
    fn a_key_tells_templates_edited_since_it_was_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let template = dir.path().join("kubernetes/namespace.yaml");
        fs::create_dir_all(template.parent().expect("parent")).expect("mkdir");
        fs::write(&template, "a").expect("write");
        let key = Key {
            digest: String::new(),
            dir: dir.path().to_path_buf(),
            templates: templates_digest(Some(dir.path())).expect("readable"),
        };
        assert!(key.templates_unchanged(Some(dir.path())));
        assert!(!key.templates_unchanged(None));
        fs::write(&template, "b").expect("edit");
        assert!(!key.templates_unchanged(Some(dir.path())));
    }

    #[test]
    fn unreadable_entries_are_misses() {
        let m = format!("manifest {}\n", hash(b"m"));
        assert_eq!(Entry::parse(String::new()), None);
        assert_eq!(Entry::parse("something else\nscope \n".to_owned()), None);
        assert_eq!(
            Entry::parse(format!("{HEADER}\nscope \n{m}no-separator\n")),
            None
        );
        let (x, b) = (
            hash(b"x"),
            output::manifest::hex(blake3::hash(b"x").as_bytes()),
        );
        for good in [format!("{x} {b}  a.yaml"), format!("{x} -  a b.yaml")] {
            let text = format!("{HEADER}\nscope \n{m}{good}\n");
            assert_eq!(
                Entry::parse(text).map(|e| e.file_count()),
                Some(1),
                "{good}"
            );
        }
        for line in [
            format!("{x}  a.yaml"),
            format!("{x} {b} a.yaml"),
            format!("{x} -  "),
            format!("{x} - a.yaml"),
            format!("{x} {}  a.yaml", &b[1..]),
            format!("{x} {}g  a.yaml", &b[1..]),
            format!("{} -  a.yaml", &x[1..]),
            format!("{}g -  a.yaml", &x[1..]),
        ] {
            let text = format!("{HEADER}\nscope \n{m}{x} -  b.yaml\n{line}\n");
            assert_eq!(Entry::parse(text), None, "{line}");
        }
        assert_eq!(Entry::parse(format!("{HEADER}\nenvs a\n")), None);
        assert_eq!(Entry::parse(format!("{HEADER}\n")), None);
        // The manifest's digest is whole, and where it belongs.
        assert!(Entry::parse(format!("{HEADER}\nscope \n{m}")).is_some());
        assert_eq!(Entry::parse(format!("{HEADER}\nscope \n")), None);
        assert_eq!(
            Entry::parse(format!("{HEADER}\nscope \nmanifest {}\n", &hash(b"m")[1..])),
            None
        );
        assert_eq!(Entry::parse(format!("{HEADER}\n{m}scope \n")), None);
    }

    #[test]
    fn an_entry_is_read_past_its_head_only_for_the_manifest_its_render_left() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = output::manifest::Manifest {
            entries: [("a.yaml".to_owned(), hash(b"a"))].into(),
        };
        let text = manifest.to_text();
        let key = Key {
            digest: "k".to_owned(),
            dir: dir.path().to_path_buf(),
            templates: Vec::new(),
        };
        let entry = Entry::new(
            Scope { env: None },
            &manifest.text_digest(),
            [("a.yaml", hash(b"a").as_str(), None)],
        );
        store(&key, &entry);
        let found = lookup(&key).expect("stored");
        assert!(found.left_manifest(text.as_bytes()));
        // Another render's manifest, the same one reformatted or cut short, or none at all.
        let other = output::manifest::Manifest {
            entries: [("a.yaml".to_owned(), hash(b"b"))].into(),
        };
        for bytes in [
            other.to_text(),
            text.replace("  ", " "),
            text[..text.len() - 1].to_owned(),
            String::new(),
        ] {
            assert!(!found.left_manifest(bytes.as_bytes()), "{bytes:?}");
        }
        assert_eq!(found.entry(), Some(entry));
        // A file that does not start as an entry is no entry.
        fs::write(dir.path().join("k"), "platgen up-to-date cache 3\nscope \n").expect("write");
        assert!(lookup(&key).is_none());
    }
}

//! Incremental render: a file whose inputs did not change since platgen wrote it, and that
//! nobody touched since, is not rendered again.
//!
//! Each planned file that names its inputs (see [`crate::plan::inputs`]) has a fingerprint: a
//! digest of this build of platgen, the templates, its template, its path and the parts of the
//! model it is rendered from. After a render, the [`Known`] files of its output directory are
//! recorded in the cache directory (see [`crate::cache`]): each file's fingerprint, the hash
//! the manifest gives it, and what `lstat` said of it (inode, size, modification and change
//! times). A later `render` or `diff` takes a file as rendered, without rendering it, when its
//! fingerprint is the same, the manifest still gives it that hash, and `lstat` says the same:
//! the file is the one platgen wrote, with the content the same inputs give. Anything else (no
//! record, another fingerprint, a file touched, replaced or removed) renders the file as usual.
//!
//! Like `git status`, this trusts the file system's times: an edit that keeps a file's inode,
//! size, modification and change times is not seen. The change time cannot be set by hand, and
//! a file changed within the file system's clock tick of the record is not trusted ("racily
//! clean" in git's terms: it is not recorded). `check` never relies on it: it compares every
//! byte. The record is best effort: one that cannot be read or written is no record.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::output::manifest::{Manifest, hex};
use crate::plan::inputs::Digest;

/// First line of every record; a record without it is ignored.
const HEADER: &str = "platgen known files 1";

/// Records are files named with this prefix in the cache directory.
pub(crate) const PREFIX: &str = "known-";

/// How many hex digits of a fingerprint and of a content hash a record keeps (128 and 64 bits:
/// the fingerprint decides, the hash only ties the record to the manifest).
const FINGERPRINT_HEX: usize = 32;
const HASH_HEX: usize = 16;

/// What `lstat` says of a regular file: what changes when anything writes or replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStat {
    /// The file at `path`, not following a link; `None` unless it is a regular file.
    pub fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = fs::symlink_metadata(path).ok()?;
        meta.file_type().is_file().then(|| Self {
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    /// Whether the file may still change without its times changing: it changed within the
    /// file system's clock tick of `now` (up to 2 s where times have whole seconds only), or
    /// after it.
    fn racy(&self, now: SystemTime) -> bool {
        let latest = self.mtime.max(self.ctime);
        let tick = if latest.1 == 0 {
            Duration::from_secs(3)
        } else {
            Duration::from_millis(100)
        };
        let Ok(secs) = u64::try_from(latest.0) else {
            return true;
        };
        let nanos = u32::try_from(latest.1).unwrap_or(0);
        let changed = UNIX_EPOCH + Duration::new(secs, nanos);
        changed + tick >= now
    }
}

/// One recorded file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    fingerprint: String,
    hash: String,
    stat: FileStat,
}

/// A file rendered (or taken as rendered) by a compilation, with its fingerprint, and what
/// `lstat` said when it was taken as rendered.
#[derive(Debug, Clone)]
pub struct Fingerprinted {
    /// Path under the output directory.
    pub path: String,
    /// Its fingerprint.
    pub fingerprint: Digest,
    /// Its `lstat`, when it was taken as rendered without rendering.
    pub stat: Option<FileStat>,
}

/// What the last render into an output directory recorded of its files.
#[derive(Debug)]
pub struct Known {
    /// Identifies the build and the templates: part of every fingerprint.
    salt: Vec<u8>,
    /// Where the record lives.
    file: PathBuf,
    records: HashMap<String, Record>,
}

impl Known {
    /// The record of `out_dir` rendered by this build with these templates (empty when there
    /// is none); `None` when the cache is off, the templates cannot be read or the output
    /// directory's parent does not exist.
    pub fn load(out_dir: &Path, templates: Option<&Path>) -> Option<Self> {
        let dir = crate::cache::directory()?;
        let mut salt = crate::render::BUILD_ID.as_bytes().to_vec();
        salt.extend(crate::cache::templates_digest(templates)?);
        // An output directory not made yet is named by its parent's canonical path.
        let canonical = fs::canonicalize(out_dir).ok().or_else(|| {
            let parent = match out_dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(fs::canonicalize(parent).ok()?.join(out_dir.file_name()?))
        })?;
        let name = crate::output::manifest::hash(canonical.as_os_str().as_encoded_bytes());
        let file = dir.join(format!("{PREFIX}{}", &name[..FINGERPRINT_HEX]));
        let records = fs::read_to_string(&file)
            .ok()
            .and_then(|text| parse(&text))
            .unwrap_or_default();
        Some(Self {
            salt,
            file,
            records,
        })
    }

    /// The same, with every record forgotten: nothing is taken as unchanged, and a render
    /// records afresh.
    #[must_use]
    pub fn forget(mut self) -> Self {
        self.records.clear();
        self
    }

    /// What fingerprints are salted with.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Whether the file at `path` is known to be what render would write: its record has this
    /// fingerprint, `hash` (what the manifest gives it) is the recorded one, and `lstat` says
    /// what it said then. Its `lstat` when so.
    pub fn unchanged(
        &self,
        out_dir: &Path,
        path: &str,
        fingerprint: &Digest,
        hash: &str,
    ) -> Option<FileStat> {
        let record = self.records.get(path)?;
        let fingerprint = hex(&fingerprint[..FINGERPRINT_HEX / 2]);
        if record.fingerprint != fingerprint || !hash.starts_with(&record.hash) {
            return None;
        }
        let stat = FileStat::of(&out_dir.join(path))?;
        (stat == record.stat).then_some(stat)
    }

    /// Records the files of a render just committed to `out_dir`, whose manifest is now
    /// `manifest`: this render's fingerprinted files, and the earlier records of files it did
    /// not render (another environment's) that the manifest still lists. Best effort.
    pub fn record(self, out_dir: &Path, rendered: &[Fingerprinted], manifest: &Manifest) {
        let now = SystemTime::now();
        let Self {
            file, mut records, ..
        } = self;
        let stats = crate::parallel::map(rendered, |f| {
            f.stat.or_else(|| FileStat::of(&out_dir.join(&f.path)))
        });
        for (f, stat) in rendered.iter().zip(stats) {
            records.remove(&f.path);
            let (Some(stat), Some(hash)) = (stat, manifest.entries.get(&f.path)) else {
                continue;
            };
            if stat.racy(now) || hash.len() < HASH_HEX {
                continue;
            }
            records.insert(
                f.path.clone(),
                Record {
                    fingerprint: hex(&f.fingerprint[..FINGERPRINT_HEX / 2]),
                    hash: hash[..HASH_HEX].to_owned(),
                    stat,
                },
            );
        }
        records.retain(|path, record| {
            manifest
                .entries
                .get(path)
                .is_some_and(|h| h.starts_with(&record.hash))
        });
        let _ = write(&file, &to_text(&records));
        crate::cache::prune(file.parent().unwrap_or(Path::new(".")), PREFIX);
    }
}

fn to_text(records: &HashMap<String, Record>) -> String {
    let mut paths: Vec<&String> = records.keys().collect();
    paths.sort();
    let mut text = String::with_capacity(64 + records.len() * 160);
    text.push_str(HEADER);
    text.push('\n');
    for path in paths {
        let r = &records[path];
        let s = &r.stat;
        text.push_str(&format!(
            "{} {} {} {} {} {} {} {} {}\n",
            r.fingerprint, r.hash, s.ino, s.size, s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1, path
        ));
    }
    text
}

/// The records of `text`; `None` when it is not a record.
fn parse(text: &str) -> Option<HashMap<String, Record>> {
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    lines
        .map(|line| {
            let fields: Vec<&str> = line.splitn(9, ' ').collect();
            let [
                fingerprint,
                hash,
                ino,
                size,
                mtime,
                mtime_ns,
                ctime,
                ctime_ns,
                path,
            ] = fields[..]
            else {
                return None;
            };
            let stat = FileStat {
                ino: ino.parse().ok()?,
                size: size.parse().ok()?,
                mtime: (mtime.parse().ok()?, mtime_ns.parse().ok()?),
                ctime: (ctime.parse().ok()?, ctime_ns.parse().ok()?),
            };
            let record = Record {
                fingerprint: fingerprint.to_owned(),
                hash: hash.to_owned(),
                stat,
            };
            Some((path.to_owned(), record))
        })
        .collect()
}

/// Writes `text` to `file` through a temporary file, so a reader sees a whole record or none.
fn write(file: &Path, text: &str) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.persist(file)?;
    Ok(())
}

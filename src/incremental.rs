//! Incremental render: a file whose inputs did not change since platgen wrote it, and that
//! nobody touched since, is not rendered again.
//!
//! Each planned file that names its inputs (see [`crate::plan::inputs`]) has a fingerprint: a
//! digest of this build of platgen, the templates, its template, its path and the parts of the
//! model it is rendered from. After a render, the [`Known`] files of its output directory are
//! recorded in the cache directory (see [`crate::cache`]): each file's fingerprint, the hash
//! the manifest gives it, the BLAKE3 digest of its bytes (carried into the up-to-date cache's
//! entry for a file taken as rendered, which `check` compares the file with), and what `lstat`
//! said of it (inode, size, modification and change times). A later `render` or `diff` takes
//! a file as rendered, without rendering it, when its fingerprint is the same, the manifest
//! still gives it that hash, and `lstat` says the same: the file is the one platgen wrote, with
//! the content the same inputs give. Anything else (no
//! record, another fingerprint, a file touched, replaced or removed) renders the file as usual.
//!
//! Like `git status`, this trusts the file system's times: an edit that keeps a file's inode,
//! size, modification and change times is not seen. The change time cannot be set by hand.
//! Each recorded stat is one taken when the file's bytes were known good ([`Checked`]): read
//! and compared, taken as unchanged, or just written into a fresh tree. A file that changed
//! within the file system's clock tick of that moment could change again without its times
//! changing ("racily clean" in git's terms), and so could a file renamed into place, whose stat
//! is only taken afterwards: their records say so, and such a file is taken as unchanged only
//! when its bytes hash to what the manifest says. `check` never relies on the record: it
//! compares every byte. The record is best effort: one that cannot be read or written is no
//! record.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::output::manifest::Manifest;
use crate::output::mode::executable;
pub use crate::plan::inputs::Digest;
use folders::Folders;
use record::{hash_prefix, parse, to_text};

mod folders;
mod record;

/// Records are files named with this prefix in the cache directory.
pub(crate) const PREFIX: &str = "known-";

/// How many bytes of a fingerprint and of a content hash a record keeps (128 and 64 bits: the
/// fingerprint decides, the hash only ties the record to the manifest).
const FINGERPRINT_BYTES: usize = 16;
const HASH_BYTES: usize = 8;

type Fingerprint = [u8; FINGERPRINT_BYTES];
type HashPrefix = [u8; HASH_BYTES];

/// What `lstat` says of a regular file: what changes when anything writes or replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// The owner's execute bit (see [`crate::output::mode`]).
    executable: bool,
}

impl FileStat {
    /// The file at `path`, not following a link; `None` unless it is a regular file.
    pub fn of(path: &Path) -> Option<Self> {
        Self::from_metadata(&fs::symlink_metadata(path).ok()?)
    }

    /// What `meta` says; `None` unless it is a regular file's.
    #[cfg(unix)]
    pub fn from_metadata(meta: &fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        meta.file_type().is_file().then(|| Self {
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            executable: crate::output::mode::executable_mode(meta.mode()),
        })
    }

    /// Without inodes and change times, nothing is taken as unchanged.
    #[cfg(not(unix))]
    pub fn from_metadata(_meta: &fs::Metadata) -> Option<Self> {
        None
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    fingerprint: Fingerprint,
    hash: HashPrefix,
    /// The BLAKE3 digest of its bytes, when known: what `check` compares the file with (see
    /// [`crate::cache`]), carried from the render that read or wrote them.
    content: Option<Digest>,
    /// Its stat, and whether its times alone tell (when racy, its bytes must).
    checked: Checked,
}

/// What `lstat` said of a file at a moment its bytes were known to be good (read and compared,
/// or just written where nobody else could see them), and whether they could have changed
/// since without its times changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    stat: FileStat,
    racy: bool,
}

impl Checked {
    /// `stat`, taken at or after `since`, when the file's bytes were good: racy when the file
    /// changed within a clock tick of `since` (an edit after the check could then leave every
    /// time as it was).
    pub fn since(stat: FileStat, since: SystemTime) -> Self {
        Self {
            stat,
            racy: stat.racy(since),
        }
    }
}

/// A file rendered (or taken as rendered) by a compilation, with its fingerprint, the hash of
/// its content, and what `lstat` said of it when its bytes were checked, if known.
#[derive(Debug, Clone)]
pub struct Fingerprinted {
    /// Path under the output directory.
    pub path: String,
    /// Its fingerprint.
    pub fingerprint: Digest,
    /// The hex SHA-256 of its content (what the manifest gives it).
    pub hash: String,
    /// The BLAKE3 digest of its content, when known.
    pub content: Option<Digest>,
    /// What `lstat` said when its bytes were known good: taken as unchanged, or read and found
    /// the same.
    pub checked: Option<Checked>,
    /// For a file staged in a fresh tree: what `fstat` said once it was written. The tree is
    /// renamed into place whole, which keeps the file's inode and times; the file is visible
    /// (and could be edited) only from the commit on. A file renamed into place by itself has
    /// neither (the rename changes its change time): it is recorded as racy, to be vouched for
    /// by its bytes next time.
    pub staged: Option<FileStat>,
}

/// What the last render into an output directory recorded of its files.
#[derive(Debug)]
pub struct Known {
    /// Identifies the build and the templates: part of every fingerprint.
    salt: Vec<u8>,
    /// The `--templates` overrides, to tell whether they changed while rendering.
    templates: Option<PathBuf>,
    /// Where the record lives.
    file: PathBuf,
    records: HashMap<String, Record>,
    /// The output directory's folders, opened as its files are asked of.
    folders: Folders,
}

impl Known {
    /// The record of `out_dir` rendered by this build with these templates (empty when there
    /// is none); `None` when the cache is off, the templates cannot be read or the output
    /// directory's parent does not exist.
    pub fn load(out_dir: &Path, templates: Option<&Path>) -> Option<Self> {
        let dir = crate::cache::directory()?;
        let salt = salt(templates)?;
        let existing = fs::canonicalize(out_dir).ok();
        // An output directory not made yet is named by its parent's canonical path, and has no
        // file to vouch for: what a record says of an earlier one there is not read.
        let canonical = existing.clone().or_else(|| {
            let parent = match out_dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            Some(fs::canonicalize(parent).ok()?.join(out_dir.file_name()?))
        })?;
        let name = crate::output::manifest::hash(canonical.as_os_str().as_encoded_bytes());
        let file = dir.join(format!("{PREFIX}{}", &name[..2 * FINGERPRINT_BYTES]));
        let records = existing
            .and_then(|_| fs::read_to_string(&file).ok())
            .and_then(|text| parse(&text))
            .unwrap_or_default();
        Some(Self {
            salt,
            templates: templates.map(Path::to_path_buf),
            file,
            records,
            folders: Folders::default(),
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
    /// what it said then (for a racy record, and its bytes hash to `hash`). Its `lstat` when
    /// so, and the BLAKE3 digest of its bytes when the record knows it.
    pub fn unchanged(
        &self,
        out_dir: &Path,
        path: &str,
        fingerprint: &Digest,
        hash: &str,
    ) -> Option<(FileStat, Option<Digest>)> {
        let record = self.records.get(path)?;
        if record.fingerprint != short(fingerprint) || Some(record.hash) != hash_prefix(hash) {
            return None;
        }
        let stat = self.folders.stat(out_dir, path)?;
        // The rule is asked too: a racy record's stat may have been taken after someone changed
        // the mode, and such a record is vouched for by the bytes alone.
        if stat != record.checked.stat || stat.executable != executable(path) {
            return None;
        }
        if record.checked.racy
            && crate::output::hash_on_disk(&out_dir.join(path))
                .ok()?
                .as_deref()
                != Some(hash)
        {
            return None;
        }
        Some((stat, record.content))
    }

    /// Records the files of a render just committed to `out_dir`, whose manifest is now
    /// `manifest`: this render's fingerprinted files, and the earlier records of files it did
    /// not render (another environment's) that the manifest still lists. `committing` is a
    /// moment before the commit began. Best effort.
    pub fn record(
        self,
        out_dir: &Path,
        rendered: &[Fingerprinted],
        manifest: &Manifest,
        committing: SystemTime,
    ) {
        // Templates load while rendering: if one changed meanwhile, some files may come from
        // it, and the fingerprints (salted before) would vouch for them wrongly.
        if salt(self.templates.as_deref()).as_ref() != Some(&self.salt) {
            return;
        }
        // What is known of a file without asking the file system: when its bytes were checked,
        // or how it was staged (nobody could touch it before the commit).
        let known = |f: &Fingerprinted| {
            f.checked
                .or_else(|| Some(Checked::since(f.staged?, committing)))
        };
        // Only the others need a stat (a system call each, so on several threads); one taken
        // only now says nothing of when the bytes were good: racy.
        let unknown: Vec<&Fingerprinted> = rendered.iter().filter(|f| known(f).is_none()).collect();
        let mut taken = crate::parallel::map(&unknown, |f| {
            let stat = FileStat::of(&out_dir.join(&f.path))?;
            Some(Checked { stat, racy: true })
        })
        .into_iter();
        // `taken` holds one stat for each file `known` knows nothing of, in their order.
        let stats = rendered
            .iter()
            .map(|f| known(f).or_else(|| taken.next().flatten()));
        let mut lines: Vec<(&str, Record)> = Vec::with_capacity(rendered.len());
        for (f, checked) in rendered.iter().zip(stats) {
            let (Some(checked), Some(hash)) = (checked, hash_prefix(&f.hash)) else {
                continue;
            };
            let record = Record {
                fingerprint: short(&f.fingerprint),
                hash,
                content: f.content,
                checked,
            };
            lines.push((&f.path, record));
        }
        // The earlier records of files not rendered now: each rendered path taken out once
        // (rather than a set of them asked about every record).
        let had_records = !self.records.is_empty();
        let mut others = self.records;
        if !others.is_empty() {
            for f in rendered {
                others.remove(f.path.as_str());
            }
        }
        for (path, record) in &others {
            let listed = manifest.entries.get(path).and_then(|h| hash_prefix(h));
            if listed == Some(record.hash) {
                lines.push((path, *record));
            }
        }
        if lines.is_empty() && !had_records {
            // Nothing to record, and no record to replace.
            return;
        }
        lines.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let _ = crate::cache::write_whole(&self.file, &to_text(&lines));
        crate::cache::prune(self.file.parent().unwrap_or(Path::new(".")), PREFIX);
    }
}

/// What identifies this build and the `--templates` overrides; `None` when one cannot be read.
fn salt(templates: Option<&Path>) -> Option<Vec<u8>> {
    let mut salt = crate::render::BUILD_ID.as_bytes().to_vec();
    salt.extend(crate::cache::templates_digest(templates)?);
    Some(salt)
}

fn short(fingerprint: &Digest) -> Fingerprint {
    let mut short = [0; FINGERPRINT_BYTES];
    short.copy_from_slice(&fingerprint[..FINGERPRINT_BYTES]);
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stat with these times (the record's tests share it).
    pub(super) fn stat(seconds: i64, nanos: i64) -> FileStat {
        FileStat {
            ino: 7,
            size: 42,
            mtime: (seconds, nanos),
            ctime: (seconds, nanos),
            executable: false,
        }
    }

    /// What a record file in `dir` says of one file, `path`.
    fn known_one(dir: &Path, path: &str, record: Record) -> Known {
        Known {
            salt: Vec::new(),
            templates: None,
            file: dir.join("record"),
            records: HashMap::from([(path.to_owned(), record)]),
            folders: Folders::default(),
        }
    }

    #[test]
    fn a_file_changed_within_a_tick_of_the_record_is_racy() {
        let now = UNIX_EPOCH + Duration::new(1_700_000_000, 500_000_000);
        assert!(!stat(1_700_000_000, 300_000_000).racy(now));
        assert!(stat(1_700_000_000, 450_000_000).racy(now));
        assert!(stat(1_700_000_001, 1).racy(now), "in the future");
        // Whole seconds: the file system's clock may be that coarse.
        assert!(stat(1_699_999_998, 0).racy(now));
        assert!(!stat(1_699_999_990, 0).racy(now));
        assert!(stat(-1, 0).racy(now));
    }

    #[test]
    fn a_racy_record_vouches_for_a_file_only_by_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("f.yaml"), "edited").expect("write");
        let stat = FileStat::of(&dir.path().join("f.yaml")).expect("a file");
        let written = crate::output::manifest::hash(b"written");
        let fingerprint = [7; 32];
        let known = |racy| {
            let record = Record {
                fingerprint: short(&fingerprint),
                hash: hash_prefix(&written).expect("hex"),
                content: Some([3; 32]),
                checked: Checked { stat, racy },
            };
            known_one(dir.path(), "f.yaml", record)
        };
        // The times say nothing changed; a racy record does not take their word for it.
        let unchanged =
            |racy, hash: &str| known(racy).unchanged(dir.path(), "f.yaml", &fingerprint, hash);
        assert_eq!(unchanged(false, &written), Some((stat, Some([3; 32]))));
        assert_eq!(unchanged(true, &written), None);
        // Bytes that hash to what the manifest says (and the record's hash prefix) are enough.
        let edited = crate::output::manifest::hash(b"edited");
        let same_prefix = format!("{}{}", &written[..16], &edited[16..]);
        assert_eq!(unchanged(true, &edited), None, "another hash than recorded");
        assert_eq!(unchanged(true, &same_prefix), None, "bytes hash otherwise");
        fs::write(dir.path().join("f.yaml"), "written").expect("write");
        let stat_now = FileStat::of(&dir.path().join("f.yaml")).expect("a file");
        let mut racy = known(true);
        racy.records.get_mut("f.yaml").expect("record").checked.stat = stat_now;
        assert_eq!(
            racy.unchanged(dir.path(), "f.yaml", &fingerprint, &written),
            Some((stat_now, Some([3; 32])))
        );
        assert_eq!(
            racy.unchanged(dir.path(), "f.yaml", &[8; 32], &written),
            None,
            "another fingerprint"
        );
    }

    /// However a record came to hold a script's stat without its execute bit, the file is
    /// not what render writes: only one with the bit is taken as unchanged.
    #[cfg(unix)]
    #[test]
    fn a_script_without_its_execute_bit_is_never_taken_as_unchanged() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("f.sh");
        fs::write(&script, "#!/usr/bin/env bash\n").expect("write");
        let hash = crate::output::manifest::hash(b"#!/usr/bin/env bash\n");
        let fingerprint = [7; 32];
        let unchanged = || {
            let stat = FileStat::of(&script).expect("a file");
            let record = Record {
                fingerprint: short(&fingerprint),
                hash: hash_prefix(&hash).expect("hex"),
                content: None,
                checked: Checked { stat, racy: false },
            };
            known_one(dir.path(), "f.sh", record).unchanged(dir.path(), "f.sh", &fingerprint, &hash)
        };
        fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(unchanged(), None);
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(unchanged().is_some_and(|(stat, _)| stat.executable));
    }

    #[test]
    fn records_of_files_not_rendered_stay_while_the_manifest_lists_them_as_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir_all(&out).expect("mkdir");
        fs::write(out.join("a.yaml"), "a").expect("write");
        let stat = FileStat::of(&out.join("a.yaml")).expect("a file");
        let hash = |text: &str| crate::output::manifest::hash(text.as_bytes());
        let record = |text: &str| Record {
            fingerprint: [1; FINGERPRINT_BYTES],
            hash: hash_prefix(&hash(text)).expect("hex"),
            content: Some(blake3::hash(text.as_bytes()).into()),
            checked: Checked { stat, racy: false },
        };
        // a is rendered now; b, c and d are another environment's, say.
        let known = Known {
            salt: salt(None).expect("no overrides"),
            templates: None,
            file: dir.path().join("record"),
            records: ["a", "b", "c", "d"]
                .into_iter()
                .map(|name| (format!("{name}.yaml"), record(name)))
                .collect(),
            folders: Folders::default(),
        };
        let manifest = Manifest {
            entries: [
                ("a.yaml".to_owned(), hash("a")),
                ("b.yaml".to_owned(), hash("b")),
                ("c.yaml".to_owned(), hash("c, since changed")),
            ]
            .into(),
        };
        let rendered = [Fingerprinted {
            path: "a.yaml".to_owned(),
            fingerprint: [2; 32],
            hash: hash("a"),
            content: None,
            checked: Some(Checked { stat, racy: false }),
            staged: None,
        }];
        known.record(&out, &rendered, &manifest, SystemTime::now());
        let text = fs::read_to_string(dir.path().join("record")).expect("recorded");
        let records = parse(&text).expect("a record");
        let mut paths: Vec<&str> = records.keys().map(String::as_str).collect();
        paths.sort_unstable();
        // c's bytes are no longer the recorded ones, and d is no file of the manifest's.
        assert_eq!(paths, ["a.yaml", "b.yaml"]);
        assert_eq!(records["a.yaml"].fingerprint, [2; FINGERPRINT_BYTES]);
        assert_eq!(records["a.yaml"].content, None, "not known for a");
        assert_eq!(records["b.yaml"], record("b"));
    }

    #[test]
    fn a_render_whose_templates_changed_meanwhile_is_not_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (out, templates) = (dir.path().join("out"), dir.path().join("templates"));
        fs::create_dir_all(templates.join("kubernetes")).expect("mkdir");
        fs::create_dir_all(&out).expect("mkdir");
        let template = templates.join("kubernetes/namespace.yaml");
        fs::write(&template, "a").expect("write");
        fs::write(out.join("f.yaml"), "x").expect("write");
        let hash = crate::output::manifest::hash(b"x");
        let manifest = Manifest {
            entries: [("f.yaml".to_owned(), hash.clone())].into(),
        };
        let rendered = [Fingerprinted {
            path: "f.yaml".to_owned(),
            fingerprint: [1; 32],
            hash,
            content: None,
            checked: None,
            staged: None,
        }];
        let known = || Known {
            salt: salt(Some(&templates)).expect("readable"),
            templates: Some(templates.clone()),
            file: dir.path().join("record"),
            records: HashMap::new(),
            folders: Folders::default(),
        };
        let before = known();
        fs::write(&template, "b").expect("edit");
        before.record(&out, &rendered, &manifest, SystemTime::now());
        assert!(!dir.path().join("record").exists(), "recorded");
        known().record(&out, &rendered, &manifest, SystemTime::now());
        assert!(dir.path().join("record").exists(), "not recorded");
    }
}

//! What platgen refuses to go through in the output directory: a symbolic link below it that
//! leads out of the repository (an error), and what is in the way (see [`Obstacle`]): a file
//! or a broken link where a directory goes, anything at a file's path that is not a regular
//! file.
//!
//! A link inside `out/` can point anywhere. Pruning through one would delete files wherever it
//! leads, writing through one would write there, and `check` would vouch for files it never
//! owned. So a directory link below the output directory is followed only when it stays inside
//! the repository — the directory of the platform file, which `output_dir` is relative to —
//! as `out/.github → ../.github` does for `workflows = "repository"`. A link where a file goes
//! is never followed. A FIFO or device where a file goes would block or mislead a read. The
//! output directory itself may be a link (`--out` names where the files go).

use std::collections::BTreeSet;
use std::fs;
use std::io::Read as _;
use std::path::Path;

use super::obstacle::Obstacle;
use super::{UNCHANGED, io_error};
use crate::diagnostics::Diagnostic;

const LINK_HELP: &str = "platgen does not write, prune or check through links inside the output directory that lead out of the repository (the platform file's directory): it could change files elsewhere. Replace the link with a real directory, or point --out at the real directory";

fn escaping_link_error(path: &Path, target: &Path, root: &Path) -> Diagnostic {
    Diagnostic::error(
        "E0504",
        format!(
            "{} is a symbolic link to {}, outside the repository {}",
            path.display(),
            target.display(),
            root.display()
        ),
    )
    .help(LINK_HELP)
}

/// Folders of the output directory that something is in the way of (see [`check_dirs`]),
/// sorted by path, none below another.
#[derive(Debug, Clone, Default)]
pub struct Blocked {
    dirs: Vec<(String, Obstacle)>,
}

impl Blocked {
    /// Whether nothing is in the way of any folder.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// Whether `path` is below a blocked folder: nothing there can be read or written.
    pub fn covers(&self, path: &str) -> bool {
        !self.dirs.is_empty()
            && path.match_indices('/').any(|(end, _)| {
                self.dirs
                    .binary_search_by(|(dir, _)| dir.as_str().cmp(&path[..end]))
                    .is_ok()
            })
    }

    /// Each blocked folder (relative to the output directory) with what is in its way.
    pub fn obstacles(&self) -> &[(String, Obstacle)] {
        &self.dirs
    }

    /// The errors `render` stops with (see [`Obstacle::error`]).
    pub fn errors(&self, out_dir: &Path) -> Vec<Diagnostic> {
        self.dirs
            .iter()
            .map(|(dir, obstacle)| obstacle.error(&out_dir.join(dir)))
            .collect()
    }
}

/// Checks the directories leading to `paths` (relative to `out_dir`). One that exists and is a
/// symbolic link leading out of `root` (the repository: the platform file's directory) is an
/// error: nothing is ever read or written through it. One where something else than a
/// directory is (a file, a link to nothing or to a file) is in the way: returned as
/// [`Blocked`], for `check` and `diff` to report and `render` to refuse. Each directory is
/// looked at once, however many files it holds.
pub fn check_dirs<'a>(
    out_dir: &Path,
    root: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<Blocked, Vec<Diagnostic>> {
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut dirs = BTreeSet::new();
    for path in paths {
        let mut end = 0;
        while let Some(slash) = path[end..].find('/') {
            end += slash;
            dirs.insert(&path[..end]);
            end += 1;
        }
    }
    if fs::symlink_metadata(out_dir).is_ok() && fs::metadata(out_dir).is_err() {
        return Err(vec![
            Diagnostic::error(
                "E0501",
                format!("{} is a link to nothing", out_dir.display()),
            )
            .help(format!(
                "create the directory it points to, or remove the link; {UNCHANGED}"
            )),
        ]);
    }
    // Sorted, so a directory comes before everything below it: below a link, a file or a
    // missing directory there is nothing more to look at.
    let mut skip: Option<&str> = None;
    let mut errors = Vec::new();
    let mut blocked = Blocked::default();
    for dir in dirs {
        if skip.is_some_and(|s| dir.strip_prefix(s).is_some_and(|r| r.starts_with('/'))) {
            continue;
        }
        let full = out_dir.join(dir);
        let obstacle = match fs::symlink_metadata(&full) {
            Ok(meta) if meta.file_type().is_symlink() => match fs::canonicalize(&full) {
                Err(_) => Some(Obstacle::LinkToNothingAtFolder),
                Ok(target) if !target.is_dir() => Some(Obstacle::LinkToFileAtFolder),
                Ok(target) if !target.starts_with(&root) => {
                    errors.push(escaping_link_error(&full, &target, &root));
                    skip = Some(dir);
                    None
                }
                Ok(_) => None,
            },
            Ok(meta) if meta.is_dir() => None,
            Ok(_) => Some(Obstacle::FileAtFolder),
            Err(_) => {
                skip = Some(dir);
                None
            }
        };
        if let Some(obstacle) = obstacle {
            blocked.dirs.push((dir.to_owned(), obstacle));
            skip = Some(dir);
        }
    }
    if errors.is_empty() {
        Ok(blocked)
    } else {
        // A link out of the repository is refused outright; what else is in the way is said
        // with it.
        errors.extend(blocked.errors(out_dir));
        Err(errors)
    }
}

/// What is at a path where platgen reads a file.
pub(super) enum Opened {
    /// Nothing.
    Nothing,
    /// A regular file, opened, with what `fstat` says of it.
    File(fs::File, fs::Metadata),
    /// Something else, which is neither followed nor read.
    Obstacle(Obstacle),
}

/// Opens the regular file at `path` for reading, without following a link there or blocking
/// on a FIFO, with what `fstat` says of it; what is in the way instead, if anything is.
pub(super) fn open_regular(path: &Path) -> Result<Opened, Diagnostic> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    #[cfg(not(target_os = "linux"))]
    if let Some(obstacle) = fs::symlink_metadata(path)
        .ok()
        .and_then(|meta| Obstacle::at_file(&meta))
    {
        return Ok(Opened::Obstacle(obstacle));
    }
    let cannot_read = |e| io_error(format!("cannot read {}", path.display()), e);
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Opened::Nothing),
        #[cfg(target_os = "linux")]
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Ok(Opened::Obstacle(Obstacle::Link));
        }
        // A socket cannot be opened (ENXIO), nor an unreadable folder: what is there says
        // whether it is a file that cannot be read (an I/O error) or something in the way.
        Err(e) => {
            return match fs::symlink_metadata(path)
                .ok()
                .and_then(|meta| Obstacle::at_file(&meta))
            {
                Some(obstacle) => Ok(Opened::Obstacle(obstacle)),
                None => Err(cannot_read(e)),
            };
        }
    };
    let meta = file.metadata().map_err(cannot_read)?;
    Ok(match Obstacle::at_file(&meta) {
        Some(obstacle) => Opened::Obstacle(obstacle),
        None => Opened::File(file, meta),
    })
}

/// What [`read_regular`] found at a path.
pub(super) enum Read {
    /// Nothing.
    Nothing,
    /// A regular file, read, with what `fstat` said of it before it was read.
    File(fs::Metadata),
    /// Something in the way, not read.
    Obstacle(Obstacle),
}

/// Reads the regular file at `path` into `buffer` (see [`open_regular`]).
pub(super) fn read_regular(path: &Path, buffer: &mut Vec<u8>) -> Result<Read, Diagnostic> {
    let (mut file, meta) = match open_regular(path)? {
        Opened::Nothing => return Ok(Read::Nothing),
        Opened::Obstacle(obstacle) => return Ok(Read::Obstacle(obstacle)),
        Opened::File(file, meta) => (file, meta),
    };
    file.read_to_end(buffer)
        .map_err(|e| io_error(format!("cannot read {}", path.display()), e))?;
    Ok(Read::File(meta))
}

/// [`read_regular`] for platgen's own bookkeeping (the manifest, the journal): anything in the
/// way there is an error, as platgen cannot tell what it owns.
pub(super) fn read_bookkeeping(
    path: &Path,
    buffer: &mut Vec<u8>,
) -> Result<Option<fs::Metadata>, Diagnostic> {
    match read_regular(path, buffer)? {
        Read::Nothing => Ok(None),
        Read::File(meta) => Ok(Some(meta)),
        Read::Obstacle(obstacle) => Err(obstacle.error(path)),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_linked_directory_below_the_output_directory_is_refused_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(out.join("real/deeper")).expect("mkdir");
        fs::create_dir(&elsewhere).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, out.join("docker")).expect("symlink");
        let repo = dir.path().join("repo");
        let paths = ["real/deeper/a.yaml", "missing/b/c.yaml", "top.yaml"];
        assert!(check_dirs(&out, &repo, paths).is_ok());
        let paths = ["docker/a", "docker/sub/b", "real/x"];
        let errors = check_dirs(&out, &repo, paths).expect_err("link");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code.0, "E0504");
        assert!(
            errors[0].message.contains("docker is a symbolic link to"),
            "{errors:?}"
        );
        // Inside the repository, the same link is followed.
        assert!(check_dirs(&out, dir.path(), ["docker/a"]).is_ok());
    }

    /// A file, a link to nothing or a link to a file where a folder goes is in the way: one
    /// entry for the folder, nothing below it, and the link leading out of the repository is
    /// still refused outright (with what is in the way beside it).
    #[test]
    fn what_is_in_the_way_of_a_folder_is_named_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir_all(out.join("prod")).expect("mkdir");
        fs::write(dir.path().join("platform.toml"), "").expect("write");
        std::os::unix::fs::symlink("../.github", out.join(".github")).expect("symlink");
        std::os::unix::fs::symlink("../platform.toml", out.join("docker")).expect("symlink");
        fs::write(out.join("prod/prometheus"), "mine\n").expect("write");
        let paths = [
            ".github/workflows/ci.yml",
            "docker/a",
            "prod/prometheus/rules/a.yml",
            "prod/prometheus/prometheus.yml",
            "prod/kubernetes/a.yaml",
        ];
        let blocked = check_dirs(&out, dir.path(), paths).expect("in the way, not refused");
        assert_eq!(
            blocked.obstacles(),
            [
                (".github".to_owned(), Obstacle::LinkToNothingAtFolder),
                ("docker".to_owned(), Obstacle::LinkToFileAtFolder),
                ("prod/prometheus".to_owned(), Obstacle::FileAtFolder),
            ]
        );
        assert!(blocked.covers("prod/prometheus/rules/a.yml"));
        assert!(blocked.covers("docker/a"));
        assert!(!blocked.covers("prod/prometheus"));
        assert!(!blocked.covers("prod/prometheus.yml"));
        assert!(!blocked.covers("prod/kubernetes/a.yaml"));
        let messages: Vec<String> = blocked
            .errors(&out)
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert!(
            messages[0].ends_with(".github is a symbolic link to nothing"),
            "{messages:?}"
        );
        assert!(messages[1].ends_with("is not a directory"), "{messages:?}");
        assert!(
            messages[2].ends_with("prod/prometheus is not a directory"),
            "{messages:?}"
        );

        let elsewhere = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(elsewhere.path(), out.join("evil")).expect("symlink");
        let errors =
            check_dirs(&out, dir.path(), ["evil/a", "prod/prometheus/b"]).expect_err("refused");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].message.contains("outside the repository"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_output_directory_itself_may_be_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("real/a")).expect("mkdir");
        let out = dir.path().join("out");
        std::os::unix::fs::symlink(dir.path().join("real"), &out).expect("symlink");
        assert!(check_dirs(&out, dir.path(), ["a/b.yaml"]).is_ok());
    }

    #[test]
    fn an_output_directory_linked_to_nothing_is_one_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        std::os::unix::fs::symlink(dir.path().join("gone"), &out).expect("symlink");
        let errors = check_dirs(&out, dir.path(), ["a/b.yaml", "c.yaml"]).expect_err("dangling");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.ends_with("out is a link to nothing"));
    }

    #[test]
    fn links_folders_and_fifos_at_a_file_path_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("target"), b"x").expect("write");
        std::os::unix::fs::symlink(dir.path().join("target"), dir.path().join("link"))
            .expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling"))
            .expect("symlink");
        fs::create_dir(dir.path().join("folder")).expect("mkdir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut buffer = Vec::new();
        let mut read = |name: &str| {
            buffer.clear();
            let found = read_regular(&dir.path().join(name), &mut buffer).expect(name);
            match found {
                Read::Nothing => "nothing".to_owned(),
                Read::File(_) => String::from_utf8_lossy(&buffer).into_owned(),
                Read::Obstacle(obstacle) => obstacle.describe(),
            }
        };
        assert_eq!(read("target"), "x");
        assert_eq!(read("none"), "nothing");
        let link = "a symbolic link platgen did not write is in the way";
        assert_eq!(read("link"), link);
        assert_eq!(read("dangling"), link);
        assert_eq!(read("folder"), "a folder is in the way");
        if made.is_ok_and(|s| s.success()) {
            assert_eq!(read("fifo"), "a FIFO is in the way");
        }
        // platgen's own files: an error, as platgen cannot tell what it owns.
        let error = read_bookkeeping(&dir.path().join("link"), &mut buffer).expect_err("link");
        assert!(error.message.ends_with("is a symbolic link"), "{error:?}");
    }
}

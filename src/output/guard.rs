//! What platgen refuses to go through in the output directory: a symbolic link below it that
//! leads out of the repository, a file where a directory goes, and anything at a file's path
//! that is not a regular file.
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

use super::{UNCHANGED, io_error};
use crate::diagnostics::Diagnostic;

const LINK_HELP: &str = "platgen does not write, prune or check through links inside the output directory that lead out of the repository (the platform file's directory): it could change files elsewhere. Replace the link with a real directory, or point --out at the real directory";

fn link_error(path: &Path) -> Diagnostic {
    Diagnostic::error("E0504", format!("{} is a symbolic link", path.display())).help(
        "platgen does not read or replace files through a link inside the output directory: replace the link with the file",
    )
}

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

fn special_error(path: &Path) -> Diagnostic {
    Diagnostic::error("E0504", format!("{} is not a regular file", path.display()))
        .help("platgen only reads and replaces regular files in the output directory: remove it")
}

/// Checks the directories leading to `paths` (relative to `out_dir`): none that exists may be a
/// symbolic link leading out of `root` (the repository: the platform file's directory), or a
/// file. Each directory is looked at once, however many files it holds.
pub fn check_dirs<'a>(
    out_dir: &Path,
    root: &Path,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<(), Vec<Diagnostic>> {
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
    for dir in dirs {
        if skip.is_some_and(|s| dir.strip_prefix(s).is_some_and(|r| r.starts_with('/'))) {
            continue;
        }
        let full = out_dir.join(dir);
        match fs::symlink_metadata(&full) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let problem = match fs::canonicalize(&full) {
                    Err(_) => Some(
                        Diagnostic::error(
                            "E0504",
                            format!("{} is a symbolic link to nothing", full.display()),
                        )
                        .help(format!(
                            "create the directory it points to, or replace the link with a directory; {UNCHANGED}"
                        )),
                    ),
                    Ok(target) if !target.is_dir() => Some(
                        Diagnostic::error(
                            "E0504",
                            format!(
                                "{} is a symbolic link to {}, which is not a directory",
                                full.display(),
                                target.display()
                            ),
                        )
                        .help(format!("platgen puts files under it: replace the link with a directory; {UNCHANGED}")),
                    ),
                    Ok(target) if !target.starts_with(&root) => {
                        Some(escaping_link_error(&full, &target, &root))
                    }
                    Ok(_) => None,
                };
                if let Some(problem) = problem {
                    errors.push(problem);
                    skip = Some(dir);
                }
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                errors.push(
                    Diagnostic::error("E0501", format!("{} is not a directory", full.display()))
                        .help(format!(
                            "platgen puts files under it: move or delete it; {UNCHANGED}"
                        )),
                );
                skip = Some(dir);
            }
            Err(_) => skip = Some(dir),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Opens the regular file at `path` for reading, without following a link there or blocking
/// on a FIFO, with what `fstat` says of it; `Ok(None)` when nothing is there.
pub(super) fn open_regular(path: &Path) -> Result<Option<(fs::File, fs::Metadata)>, Diagnostic> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits() as i32);
    }
    #[cfg(not(target_os = "linux"))]
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(link_error(path)),
        Ok(meta) if !meta.is_file() => return Err(special_error(path)),
        _ => {}
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        #[cfg(target_os = "linux")]
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(link_error(path));
        }
        Err(e) => return Err(io_error(format!("cannot read {}", path.display()), e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| io_error(format!("cannot read {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(special_error(path));
    }
    Ok(Some((file, meta)))
}

/// Reads the regular file at `path` into `buffer` (see [`open_regular`]); what `fstat` said of
/// it before it was read, or `None` when there is none.
pub(super) fn read_regular(
    path: &Path,
    buffer: &mut Vec<u8>,
) -> Result<Option<fs::Metadata>, Diagnostic> {
    let Some((mut file, meta)) = open_regular(path)? else {
        return Ok(None);
    };
    file.read_to_end(buffer)
        .map_err(|e| io_error(format!("cannot read {}", path.display()), e))?;
    Ok(Some(meta))
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

    #[test]
    fn links_to_nothing_or_to_a_file_say_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("mkdir");
        fs::write(dir.path().join("platform.toml"), "").expect("write");
        std::os::unix::fs::symlink("../.github", out.join(".github")).expect("symlink");
        std::os::unix::fs::symlink("../platform.toml", out.join("docker")).expect("symlink");
        let errors = check_dirs(&out, dir.path(), [".github/workflows/ci.yml", "docker/a"])
            .expect_err("both refused");
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages[0].ends_with(".github is a symbolic link to nothing"),
            "{messages:?}"
        );
        assert!(
            messages[1].ends_with("which is not a directory"),
            "{messages:?}"
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
    fn links_and_fifos_at_a_file_path_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("target"), b"x").expect("write");
        std::os::unix::fs::symlink(dir.path().join("target"), dir.path().join("link"))
            .expect("symlink");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let mut buffer = Vec::new();
        assert!(
            read_regular(&dir.path().join("target"), &mut buffer)
                .expect("read")
                .is_some()
        );
        assert_eq!(buffer, b"x");
        assert!(
            read_regular(&dir.path().join("none"), &mut buffer)
                .expect("none")
                .is_none()
        );
        let link = read_regular(&dir.path().join("link"), &mut buffer).expect_err("link");
        assert!(link.message.ends_with("is a symbolic link"), "{link:?}");
        if made.is_ok_and(|s| s.success()) {
            let special = read_regular(&fifo, &mut buffer).expect_err("fifo");
            assert!(
                special.message.ends_with("is not a regular file"),
                "{special:?}"
            );
        }
    }
}

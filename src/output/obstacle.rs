//! What can stand where platgen reads, writes or prunes a file and is no file of its own to
//! replace: a symbolic link, a folder, a FIFO or device where a file goes; a file, or a link
//! leading nowhere or to a file, where a folder goes.
//!
//! Such a thing is part of the output directory's content, not an I/O failure: `check` and
//! `diff` report it beside every other problem (exit 1), and `render` refuses to replace it
//! (exit 2, nothing written). Nothing is ever read through it (see [`super::guard`]).

use std::path::Path;

use super::UNCHANGED;
use crate::diagnostics::Diagnostic;

/// Something in the way at a path of the output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obstacle {
    /// A symbolic link where a file goes (or where a file platgen wrote was): never followed.
    Link,
    /// A folder where a file goes.
    Folder,
    /// A FIFO, socket or device where a file goes (what it is: `"a FIFO"`): never read, as a
    /// read of a FIFO would block.
    Special(&'static str),
    /// A file (or anything else but a folder) where a folder goes.
    FileAtFolder,
    /// A symbolic link that leads to nothing where a folder goes.
    LinkToNothingAtFolder,
    /// A symbolic link that leads to something other than a folder where a folder goes.
    LinkToFileAtFolder,
}

impl Obstacle {
    /// What is in the way, as `check` says it after the path (`out/x.yaml: …`).
    pub fn describe(self) -> String {
        match self {
            Obstacle::Link => "a symbolic link platgen did not write is in the way".to_owned(),
            Obstacle::Folder => "a folder is in the way".to_owned(),
            Obstacle::Special(what) => format!("{what} is in the way"),
            Obstacle::FileAtFolder => "a file is in the way of a rendered folder".to_owned(),
            Obstacle::LinkToNothingAtFolder => {
                "a symbolic link to nothing is in the way of a rendered folder".to_owned()
            }
            Obstacle::LinkToFileAtFolder => {
                "a symbolic link to a file is in the way of a rendered folder".to_owned()
            }
        }
    }

    /// The error `render` stops with for this obstacle at `path` (the path as the user names
    /// it), before anything is written.
    pub fn error(self, path: &Path) -> Diagnostic {
        let shown = path.display();
        match self {
            Obstacle::Link => Diagnostic::error("E0504", format!("{shown} is a symbolic link"))
                .help(format!(
                    "platgen does not read or replace files through a link inside the output directory: replace the link with the file, or delete it; {UNCHANGED}"
                )),
            Obstacle::Folder | Obstacle::Special(_) => Diagnostic::error(
                "E0504",
                format!("{shown} is not a regular file ({what})", what = self.what()),
            )
            .help(format!(
                "platgen only reads and replaces regular files in the output directory: move or delete it; {UNCHANGED}"
            )),
            Obstacle::FileAtFolder => {
                Diagnostic::error("E0501", format!("{shown} is not a directory")).help(format!(
                    "platgen puts files under it: move or delete it; {UNCHANGED}"
                ))
            }
            Obstacle::LinkToNothingAtFolder => Diagnostic::error(
                "E0504",
                format!("{shown} is a symbolic link to nothing"),
            )
            .help(format!(
                "create the directory it points to, or replace the link with a directory; {UNCHANGED}"
            )),
            Obstacle::LinkToFileAtFolder => Diagnostic::error(
                "E0504",
                format!("{shown} is a symbolic link to something that is not a directory"),
            )
            .help(format!(
                "platgen puts files under it: replace the link with a directory; {UNCHANGED}"
            )),
        }
    }

    /// What the thing in the way is, in a few words.
    fn what(self) -> &'static str {
        match self {
            Obstacle::Link => "a symbolic link",
            Obstacle::Folder => "a folder",
            Obstacle::Special(what) => what,
            Obstacle::FileAtFolder => "a file",
            Obstacle::LinkToNothingAtFolder | Obstacle::LinkToFileAtFolder => "a symbolic link",
        }
    }

    /// What is in the way where a file goes, judged from `lstat` (or `fstat`) of the path:
    /// `None` for a regular file.
    pub(super) fn at_file(meta: &std::fs::Metadata) -> Option<Obstacle> {
        let kind = meta.file_type();
        if kind.is_file() {
            return None;
        }
        Some(if kind.is_symlink() {
            Obstacle::Link
        } else if kind.is_dir() {
            Obstacle::Folder
        } else {
            Obstacle::Special(special_kind(&kind))
        })
    }
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

//! What a render would change in the output directory, for people: `platgen diff` shows it
//! ([`text`] for a terminal, [`markdown`] for a pull request), with a summary of the Kubernetes
//! objects that change ([`objects`]); `platgen check` lists it as problems ([`check`]).
//!
//! [`review`] gathers the data once from the [`Changes`] a compilation found; the renderers
//! only format it, so every format shows the same thing.

pub mod check;
pub mod markdown;
pub mod objects;
pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::output::manifest::MANIFEST_NAME;
use crate::output::{self, Changes};
use crate::render::RenderedFile;

/// How a file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Render creates it.
    Added,
    /// Render replaces its content.
    Modified,
    /// Render removes it (platgen wrote it and no longer renders it).
    Removed,
    /// A file platgen did not write is where a rendered file goes: render refuses to run.
    InTheWay,
}

/// One file's change, with both texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// Path under the output directory.
    pub path: String,
    /// What render does to it.
    pub status: Status,
    /// Whether the file on disk is not what platgen wrote.
    pub edited_by_hand: bool,
    /// The content on disk (empty when there is none).
    pub old: String,
    /// The rendered content (empty when the file is removed).
    pub new: String,
    /// Whether the file is executable on disk, then as rendered, when render changes that
    /// (see [`output::mode`]).
    pub mode: Option<(bool, bool)>,
    /// Whether the file on disk is what platgen wrote with CRLF line endings (see
    /// [`crate::line_endings`]): `old` is its content with LF, so the diff shows only what
    /// else changes.
    pub crlf: bool,
}

impl FileDiff {
    /// Whether render keeps the file's text: only its mode or its line endings change (every
    /// file, after a checkout that converted them). Nothing to diff or parse then.
    pub fn text_unchanged(&self) -> bool {
        self.status == Status::Modified && self.old == self.new
    }

    /// Lines inserted and deleted.
    pub fn line_counts(&self) -> (usize, usize) {
        if self.text_unchanged() {
            return (0, 0);
        }
        let diff = similar::TextDiff::from_lines(&self.old, &self.new);
        let (mut inserted, mut deleted) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => inserted += 1,
                similar::ChangeTag::Delete => deleted += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        (inserted, deleted)
    }

    /// What `--stat` and the markdown table say of a mode change: `mode 100644 → 100755`.
    pub fn mode_change(&self) -> Option<String> {
        let (old, new) = self.mode?;
        Some(format!(
            "mode {} → {}",
            output::mode::git_mode(old),
            output::mode::git_mode(new)
        ))
    }

    /// The unified diff, with `a/` and `b/` headers (`/dev/null` for a side with no file), so
    /// it applies with `git apply --directory=out` or `patch -d out -p1`. A mode comes first,
    /// as git writes it (`diff --git`, then `old mode` and `new mode`, alone when the bytes
    /// stay the same, or `new file mode` for a new executable file), so that `git apply`
    /// gives each file the mode render does.
    pub fn unified(&self) -> String {
        let path = &self.path;
        let mut unified = match (self.mode, self.status) {
            (Some((old, new)), _) => format!(
                "diff --git a/{path} b/{path}\nold mode {}\nnew mode {}\n",
                output::mode::git_mode(old),
                output::mode::git_mode(new)
            ),
            (None, Status::Added) if output::mode::executable(path) => format!(
                "diff --git a/{path} b/{path}\nnew file mode {}\n",
                output::mode::git_mode(true)
            ),
            _ => String::new(),
        };
        if self.text_unchanged() {
            return unified;
        }
        let diff = similar::TextDiff::from_lines(&self.old, &self.new);
        let old = match self.status {
            Status::Added => "/dev/null".to_owned(),
            _ => format!("a/{}", self.path),
        };
        let new = match self.status {
            Status::Removed => "/dev/null".to_owned(),
            _ => format!("b/{}", self.path),
        };
        let content = diff
            .unified_diff()
            .context_radius(CONTEXT_LINES)
            .header(&old, &new)
            .to_string();
        unified.push_str(&content);
        unified
    }
}

/// Unchanged lines shown around each change.
pub const CONTEXT_LINES: usize = 3;

/// The Terraform-style count: `2 to add, 3 to change, 1 to remove.`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files render creates.
    pub add: usize,
    /// Files render replaces.
    pub change: usize,
    /// Files render removes.
    pub remove: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to add, {} to change, {} to remove.",
            self.add, self.change, self.remove
        )
    }
}

/// Everything `platgen diff` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The output directory as the user named it (for notes).
    pub out_dir: String,
    /// Changed files, sorted by path.
    pub files: Vec<FileDiff>,
    /// What changes per Kubernetes object.
    pub objects: Vec<objects::ObjectChange>,
    /// Remarks that are not a file's diff (a file edited to exactly what render writes, a
    /// stale manifest).
    pub notes: Vec<String>,
    /// How many things other than files with content (links, folders, special files; see
    /// [`Changes::obstacles`]) are in the way of the render, each named in a note.
    pub obstacles: usize,
    /// The counts.
    pub summary: Summary,
    /// Whether the output directory is already exactly what render writes.
    pub clean: bool,
}

impl Review {
    /// Files in the way of the render (render would stop).
    pub fn in_the_way(&self) -> usize {
        self.obstacles
            + self
                .files
                .iter()
                .filter(|f| f.status == Status::InTheWay)
                .count()
    }

    /// The remark shown before a file's diff, if any.
    pub fn file_note(&self, file: &FileDiff) -> Option<String> {
        let out = &self.out_dir;
        let path = &file.path;
        match (file.status, file.edited_by_hand) {
            (Status::InTheWay, _) => Some(format!(
                "{out}/{path} was not written by platgen: render refuses to overwrite it"
            )),
            (Status::Modified, true) => Some(format!(
                "{out}/{path} was edited by hand: render will overwrite it"
            )),
            (Status::Removed, true) => Some(format!(
                "{out}/{path} was edited by hand: render will remove it (no longer rendered)"
            )),
            (Status::Modified, false) if file.crlf => Some(format!(
                "{out}/{path} has CRLF line endings from a checkout: render rewrites it with LF ({})",
                crate::line_endings::advice(out)
            )),
            _ => None,
        }
    }
}

/// Gathers what `changes` means for each file, reading the current content of the changed ones.
pub fn review(
    out_dir: &Path,
    files: &[RenderedFile],
    changes: &Changes,
) -> Result<Review, Diagnostic> {
    let mut statuses: BTreeMap<&str, Status> = BTreeMap::new();
    for (list, status) in [
        (&changes.added, Status::Added),
        (&changes.modified, Status::Modified),
        (&changes.removed, Status::Removed),
        (&changes.unowned_conflicts, Status::InTheWay),
    ] {
        statuses.extend(list.iter().map(|p| (p.as_str(), status)));
    }
    let paths: Vec<&str> = statuses.keys().copied().collect();
    let mut old = output::read_current(out_dir, &paths)?;
    let rendered: BTreeMap<&str, &str> = files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let out = out_dir.display().to_string();
    let diffs: Vec<FileDiff> = statuses
        .iter()
        .map(|(path, status)| {
            let current = old.remove(*path).flatten();
            // Sorted lists, each as long as every file (a converting checkout).
            let listed = |list: &[String]| list.binary_search_by(|p| p.as_str().cmp(path)).is_ok();
            let crlf = listed(&changes.line_endings);
            let executable = output::mode::executable(path);
            let mode = match (status, current.as_ref().and_then(|c| c.executable)) {
                (Status::Modified, Some(was)) if was != executable => Some((was, executable)),
                _ => None,
            };
            FileDiff {
                path: (*path).to_owned(),
                status: *status,
                edited_by_hand: listed(&changes.edited_by_hand),
                old: current
                    .map(|c| {
                        if crlf {
                            crate::line_endings::lf(c.text)
                        } else {
                            c.text
                        }
                    })
                    .unwrap_or_default(),
                new: rendered.get(path).copied().unwrap_or_default().to_owned(),
                mode,
                crlf,
            }
        })
        .collect();
    let mut notes: Vec<String> = changes
        .obstacles
        .iter()
        .map(|(p, obstacle)| {
            format!(
                "{out}/{p}: {}: render stops rather than touch it",
                obstacle.describe()
            )
        })
        .collect();
    notes.extend(
        changes
            .edited_by_hand
            .iter()
            .filter(|p| !statuses.contains_key(p.as_str()))
            .map(|p| {
                format!("{out}/{p} was edited by hand to exactly what render writes: render will record it in {MANIFEST_NAME}")
            }),
    );
    if let Some(malformed) = &changes.manifest_malformed {
        notes.push(format!(
            "{out}/{MANIFEST_NAME}: {malformed}; render will rewrite it"
        ));
    }
    if changes.interrupted {
        notes.push(format!(
            "a render of {out} was interrupted while it replaced files: render will finish the job"
        ));
    } else if diffs.is_empty() && notes.is_empty() && changes.manifest_stale {
        notes.push(format!(
            "{out}/{MANIFEST_NAME} is out of date: render will rewrite it"
        ));
    }
    Ok(Review {
        out_dir: out,
        objects: objects::summarize(&diffs),
        summary: Summary {
            add: changes.added.len(),
            change: changes.modified.len(),
            remove: changes.removed.len(),
        },
        clean: changes.is_clean(),
        obstacles: changes.obstacles.len(),
        files: diffs,
        notes,
    })
}

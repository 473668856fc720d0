//! `platgen diff --format markdown`: a pull-request comment or `$GITHUB_STEP_SUMMARY` section.
//! The summary and the object changes are visible; each file's diff sits in a collapsed
//! `<details>` block, cut at [`MAX_FILE_LINES`] lines. The whole text, in every mode, is at most
//! [`MAX_TOTAL_BYTES`] bytes (GitHub rejects comments over 65,536 characters): every piece is
//! appended only while it fits, room is kept for the note that says what was left out, and
//! every cut says so.

use std::fmt::Write as _;

use super::text::status_word;
use super::{FileDiff, Review};

/// Diff lines shown per file.
pub const MAX_FILE_LINES: usize = 200;

/// Object-change lines shown in all.
pub const MAX_OBJECT_LINES: usize = 100;

/// Notes (remarks that are not a file's diff) shown in all.
pub const MAX_NOTES: usize = 20;

/// The most bytes the whole text takes, in every mode: room under GitHub's 65,536-character
/// comment limit (a character is at least a byte).
pub const MAX_TOTAL_BYTES: usize = 60_000;

/// How to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// A table of per-file line counts instead of the diffs.
    pub stat: bool,
}

/// `<`, `>` and `&` escaped for HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A run of backticks longer than any in `text` (at least `min`), to fence it safely.
fn fence(text: &str, min: usize) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat(min.max(longest + 1))
}

/// Inline code that survives backticks in `text`.
fn code(text: &str) -> String {
    let ticks = fence(text, 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// Renders the whole review, in at most [`MAX_TOTAL_BYTES`] bytes.
pub fn render(review: &Review, options: Options) -> String {
    let mut out = Budget::new();
    let mut cut = Cut::default();
    out.push(&format!("### platgen diff\n\n**{}**\n", review.summary), 0);
    let blocked = review.in_the_way();
    if blocked > 0 {
        out.push(
            &format!(
                "\n:warning: render would stop: {blocked} file{} not written by platgen in the way.\n",
                plural(blocked)
            ),
            0,
        );
    }
    notes(review, &mut out);
    objects(review, &mut out, &mut cut);
    if !review.files.is_empty() {
        if options.stat {
            table(review, &mut out, &mut cut);
        } else {
            details(review, &mut out, &mut cut);
        }
    }
    out.close(&cut)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Room kept, while a section fills, for the line that says what the section left out (the
/// longest such line, with 20-digit counts, is shorter; see the tests).
const SECTION_NOTE_ROOM: usize = 200;

/// Room kept, while diffs are shown, for the list of the files whose diffs are not.
const LIST_ROOM: usize = 10_000;

/// Room kept for the closing note (see [`Cut`]), outside every section's budget.
const CLOSING_NOTE_ROOM: usize = 300;

/// The text being built, which never grows past `MAX_TOTAL_BYTES - CLOSING_NOTE_ROOM` until
/// [`Budget::close`] adds the closing note.
struct Budget {
    text: String,
}

impl Budget {
    fn new() -> Self {
        Self {
            text: String::new(),
        }
    }

    /// Bytes left for pieces that must leave `keep` bytes of the budget.
    fn room(&self, keep: usize) -> usize {
        (MAX_TOTAL_BYTES - CLOSING_NOTE_ROOM).saturating_sub(self.text.len() + keep)
    }

    /// Appends `piece` if that leaves at least `keep` bytes of the budget; says whether it did.
    fn push(&mut self, piece: &str, keep: usize) -> bool {
        if piece.len() > self.room(keep) {
            return false;
        }
        self.text.push_str(piece);
        true
    }

    /// The text, with the closing note when something was left out without a word in its
    /// section. The note is at most [`CLOSING_NOTE_ROOM`] bytes, so the text stays within
    /// [`MAX_TOTAL_BYTES`].
    fn close(mut self, cut: &Cut) -> String {
        if let Some(note) = cut.note() {
            debug_assert!(note.len() <= CLOSING_NOTE_ROOM);
            if note.len() <= CLOSING_NOTE_ROOM {
                self.text.push_str(&note);
            }
        }
        self.text
    }
}

/// What the size budget left out that no section note mentions: files not even listed, and
/// object changes when not even their heading fit.
#[derive(Debug, Default)]
struct Cut {
    /// Files neither shown nor listed.
    unlisted: usize,
    /// Object changes left out with their heading.
    objects: usize,
}

impl Cut {
    fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.objects > 0 {
            parts.push(format!(
                "{} object change{}",
                self.objects,
                plural(self.objects)
            ));
        }
        if self.unlisted > 0 {
            parts.push(format!(
                "{} more file{}",
                self.unlisted,
                plural(self.unlisted)
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "\n_… and {} not listed, to keep this comment under {} KB (GitHub refuses \
                 longer ones); run `platgen diff --stat` for every file, `platgen diff` for \
                 everything._\n",
                parts.join(" and "),
                MAX_TOTAL_BYTES / 1000
            )
        })
    }
}

/// The line after the notes when some are not shown.
fn notes_left_out(left: usize) -> String {
    format!(
        "\n_… {left} more note{} not shown; run `platgen diff` for all of them._\n",
        plural(left)
    )
}

/// The line after the object changes when some are not shown.
fn objects_left_out(left: usize) -> String {
    format!(
        "\n_… {left} more object change{} not shown; run `platgen diff` for all of them._\n",
        plural(left)
    )
}

/// The line before the list of files whose diffs are not shown.
fn diffs_left_out(left: usize) -> String {
    format!(
        "\n_{left} more file{} left out to keep this under {} KB; run `platgen diff` for them:_\n\n",
        plural(left),
        MAX_TOTAL_BYTES / 1000
    )
}

/// Remarks beyond a file's diff, at most [`MAX_NOTES`] of them, within the budget.
fn notes(review: &Review, out: &mut Budget) {
    let mut shown = 0;
    for note in &review.notes {
        if shown < MAX_NOTES && out.push(&format!("\n> {}\n", html(note)), SECTION_NOTE_ROOM) {
            shown += 1;
        }
    }
    let left = review.notes.len() - shown;
    if left > 0 {
        out.push(&notes_left_out(left), 0);
    }
}

fn objects(review: &Review, out: &mut Budget, cut: &mut Cut) {
    if review.objects.is_empty() {
        return;
    }
    if !out.push("\n#### Kubernetes objects\n", SECTION_NOTE_ROOM) {
        cut.objects = review.objects.iter().map(|o| o.lines().len()).sum();
        return;
    }
    let mut shown = 0;
    let mut total = 0;
    let mut env = None;
    let mut full = false;
    for object in &review.objects {
        for line in object.lines() {
            total += 1;
            if full || shown == MAX_OBJECT_LINES {
                continue;
            }
            let mut piece = String::new();
            if env != Some(&object.env) {
                let _ = writeln!(piece, "\n**{}**\n", html(&object.env));
            }
            let _ = writeln!(piece, "- {}", code(&line));
            if out.push(&piece, SECTION_NOTE_ROOM) {
                env = Some(&object.env);
                shown += 1;
            } else {
                // Later lines are shown in order or not at all.
                full = true;
            }
        }
    }
    if total > shown {
        out.push(&objects_left_out(total - shown), 0);
    }
}

fn counts(file: &FileDiff) -> String {
    let (inserted, deleted) = file.line_counts();
    format!("+{inserted} −{deleted}")
}

fn table(review: &Review, out: &mut Budget, cut: &mut Cut) {
    if !out.push("\n| file | change | lines |\n|---|---|---|\n", 0) {
        cut.unlisted = review.files.len();
        return;
    }
    for (i, file) in review.files.iter().enumerate() {
        let row = format!(
            "| {} | {} | {} |\n",
            code(&file.path).replace('|', "\\|"),
            status_word(file),
            counts(file)
        );
        if !out.push(&row, 0) {
            cut.unlisted = review.files.len() - i;
            return;
        }
    }
}

fn details(review: &Review, out: &mut Budget, cut: &mut Cut) {
    if !out.push("\n#### Files\n", SECTION_NOTE_ROOM) {
        cut.unlisted = review.files.len();
        return;
    }
    // Each file's line in the list of files left out, should its diff not fit.
    let listed: Vec<String> = review.files.iter().map(list_line).collect();
    let mut after: usize = listed.iter().map(String::len).sum();
    let mut left_out = Vec::new();
    let mut owed = 0;
    for (file, line) in review.files.iter().zip(&listed) {
        after -= line.len();
        // Room stays for listing every file not shown (up to LIST_ROOM): a list of all the
        // files is worth more than the last diffs.
        let keep = SECTION_NOTE_ROOM + LIST_ROOM.min(owed + after);
        // A file too large to show leaves room for smaller ones after it. Its section is at
        // least its path and some 60 bytes: without that room, it is not even built.
        let too_big = file.path.len() + 60 > out.room(keep);
        if too_big || !out.push(&file_section(review, file), keep) {
            left_out.push(line);
            owed += line.len();
        }
    }
    if left_out.is_empty() {
        return;
    }
    out.push(&diffs_left_out(left_out.len()), 0);
    for (i, line) in left_out.iter().enumerate() {
        if !out.push(line, 0) {
            cut.unlisted = left_out.len() - i;
            return;
        }
    }
}

/// `- `path` (new, +12 −0)`: a file in the list of those whose diffs are left out.
fn list_line(file: &FileDiff) -> String {
    format!(
        "- {} ({}, {})\n",
        code(&file.path),
        status_word(file),
        counts(file)
    )
}

fn file_section(review: &Review, file: &FileDiff) -> String {
    let diff = file.unified();
    let lines: Vec<&str> = diff.lines().collect();
    let shown = lines.len().min(MAX_FILE_LINES);
    let mut body = lines[..shown].join("\n");
    body.push('\n');
    let ticks = fence(&body, 3);
    let mut section = format!(
        "\n<details>\n<summary><code>{}</code> ({}, {})</summary>\n\n",
        html(&file.path),
        status_word(file),
        counts(file)
    );
    if let Some(note) = review.file_note(file) {
        let _ = writeln!(section, "> {}\n", html(&note));
    }
    let _ = write!(section, "{ticks}diff\n{body}{ticks}\n");
    if shown < lines.len() {
        let _ = writeln!(
            section,
            "\n_Cut at {shown} of {} lines; run `platgen diff` for the whole diff._",
            lines.len()
        );
    }
    section.push_str("\n</details>\n");
    section
}

#[cfg(test)]
mod tests;

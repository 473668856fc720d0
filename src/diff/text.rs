//! `platgen diff` for a terminal: the object summary, a unified diff per file (or, with
//! `--stat`, one line per file), notes, and the summary line last.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{FileDiff, Review, Status};

/// How to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// ANSI colours.
    pub color: bool,
    /// Per-file line counts instead of the diffs.
    pub stat: bool,
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }
}

const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BOLD: Style = Style::new().bold();

/// Renders the whole review.
pub fn render(review: &Review, options: Options) -> String {
    let painter = Painter {
        color: options.color,
    };
    let mut out = String::new();
    objects(review, &painter, &mut out);
    if options.stat {
        stat(review, &painter, &mut out);
    } else {
        for file in &review.files {
            if let Some(note) = review.file_note(file) {
                let _ = writeln!(out, "{}", painter.paint(YELLOW, &format!("note: {note}")));
            }
            diff(file, &painter, &mut out);
        }
    }
    for note in &review.notes {
        let _ = writeln!(out, "{}", painter.paint(YELLOW, &format!("note: {note}")));
    }
    let blocked = review.in_the_way();
    if blocked > 0 {
        let line = format!(
            "render would stop: {blocked} file{} not written by platgen in the way.",
            if blocked == 1 { "" } else { "s" }
        );
        let _ = writeln!(out, "{}", painter.paint(RED, &line));
    }
    let _ = writeln!(out, "{}", painter.paint(BOLD, &review.summary.to_string()));
    out
}

/// `Kubernetes objects in <env>:` and a line per change.
fn objects(review: &Review, painter: &Painter, out: &mut String) {
    let mut env = None;
    for object in &review.objects {
        if env != Some(&object.env) {
            env = Some(&object.env);
            let heading = format!("Kubernetes objects in {}:", object.env);
            let _ = writeln!(out, "{}", painter.paint(BOLD, &heading));
        }
        for line in object.lines() {
            let style = match line.as_bytes().first() {
                Some(b'+') => GREEN,
                Some(b'-') => RED,
                _ => YELLOW,
            };
            let _ = writeln!(out, "  {}", painter.paint(style, &line));
        }
    }
    if !review.objects.is_empty() {
        out.push('\n');
    }
}

fn diff(file: &FileDiff, painter: &Painter, out: &mut String) {
    for line in file.unified().lines() {
        let header = ["+++", "---", "diff --git "];
        let style = if header.iter().any(|h| line.starts_with(h)) {
            BOLD
        } else {
            match line.as_bytes().first() {
                Some(b'+') => GREEN,
                Some(b'-') => RED,
                Some(b'@') => CYAN,
                _ => Style::new(),
            }
        };
        let _ = writeln!(out, "{}", painter.paint(style, line));
    }
}

/// What `--stat` and the markdown table say after the counts.
pub fn status_word(file: &FileDiff) -> String {
    let word = match (file.status, file.edited_by_hand) {
        (Status::Added, _) => "new",
        (Status::Removed, false) => "removed",
        (Status::Removed, true) => "removed, edited by hand",
        (Status::Modified, false) => "changed",
        (Status::Modified, true) => "changed, edited by hand",
        (Status::InTheWay, _) => "not written by platgen, in the way",
    };
    let same = file.text_unchanged() && !file.edited_by_hand;
    let mut what: Vec<String> = Vec::new();
    // Only the mode or the line endings change: the rest stays as it is.
    if !same {
        what.push(word.to_owned());
    }
    what.extend(file.mode_change());
    if file.crlf {
        what.push("CRLF → LF".to_owned());
    }
    if what.is_empty() {
        what.push(word.to_owned());
    }
    what.join(", ")
}

/// Width of the `+++---` bar of the longest change.
const BAR: usize = 40;

/// `git diff --stat` style: ` path | 12 +++--- (changed)`.
fn stat(review: &Review, painter: &Painter, out: &mut String) {
    let counts: Vec<(usize, usize)> = review.files.iter().map(FileDiff::line_counts).collect();
    let width = review
        .files
        .iter()
        .map(|f| f.path.chars().count())
        .max()
        .unwrap_or(0);
    let most = counts.iter().map(|(i, d)| i + d).max().unwrap_or(0).max(1);
    let digits = most.to_string().len();
    for (file, (inserted, deleted)) in review.files.iter().zip(&counts) {
        let total = inserted + deleted;
        // Scaled to the bar, but every change keeps at least one mark.
        let scale = |n: usize| {
            if most <= BAR || n == 0 {
                n
            } else {
                (n * BAR / most).max(1)
            }
        };
        let plus = painter.paint(GREEN, &"+".repeat(scale(*inserted)));
        let minus = painter.paint(RED, &"-".repeat(scale(*deleted)));
        // No bar, no space for it (a change of mode alone).
        let bar = if total == 0 {
            String::new()
        } else {
            format!("{plus}{minus} ")
        };
        let _ = writeln!(
            out,
            " {:<width$} | {total:>digits$} {bar}({})",
            file.path,
            status_word(file)
        );
    }
}

//! `platgen diff --format markdown`: a pull-request comment or `$GITHUB_STEP_SUMMARY` section.
//! The summary and the object changes are visible; each file's diff sits in a collapsed
//! `<details>` block, cut at [`MAX_FILE_LINES`] lines, and the whole stays under
//! [`MAX_TOTAL_BYTES`] (GitHub rejects comments over 65,536 characters): past it, the remaining
//! files are listed without their diffs. Every cut says so.

use std::fmt::Write as _;

use super::text::status_word;
use super::{FileDiff, Review};

/// Diff lines shown per file.
pub const MAX_FILE_LINES: usize = 200;

/// Object-change lines shown in all.
pub const MAX_OBJECT_LINES: usize = 100;

/// Size budget for the whole text, leaving room under GitHub's 65,536-character comment limit.
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

/// Renders the whole review.
pub fn render(review: &Review, options: Options) -> String {
    let mut out = format!("### platgen diff\n\n**{}**\n", review.summary);
    let blocked = review.in_the_way();
    if blocked > 0 {
        let _ = writeln!(
            out,
            "\n:warning: render would stop: {blocked} file{} not written by platgen in the way.",
            if blocked == 1 { "" } else { "s" }
        );
    }
    for note in &review.notes {
        let _ = writeln!(out, "\n> {}", html(note));
    }
    objects(review, &mut out);
    if review.files.is_empty() {
        return out;
    }
    if options.stat {
        table(review, &mut out);
    } else {
        details(review, &mut out);
    }
    out
}

fn objects(review: &Review, out: &mut String) {
    if review.objects.is_empty() {
        return;
    }
    out.push_str("\n#### Kubernetes objects\n");
    let mut shown = 0;
    let mut total = 0;
    let mut env = None;
    for object in &review.objects {
        for line in object.lines() {
            total += 1;
            if shown == MAX_OBJECT_LINES {
                continue;
            }
            if env != Some(&object.env) {
                env = Some(&object.env);
                let _ = writeln!(out, "\n**{}**\n", html(&object.env));
            }
            let _ = writeln!(out, "- {}", code(&line));
            shown += 1;
        }
    }
    if total > shown {
        let _ = writeln!(
            out,
            "\n_… {} more object changes not shown; run `platgen diff` for all of them._",
            total - shown
        );
    }
}

fn counts(file: &FileDiff) -> String {
    let (inserted, deleted) = file.line_counts();
    format!("+{inserted} −{deleted}")
}

fn table(review: &Review, out: &mut String) {
    out.push_str("\n| file | change | lines |\n|---|---|---|\n");
    for file in &review.files {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            code(&file.path).replace('|', "\\|"),
            status_word(file),
            counts(file)
        );
    }
}

fn details(review: &Review, out: &mut String) {
    out.push_str("\n#### Files\n");
    let mut left_out = Vec::new();
    for file in &review.files {
        let section = file_section(review, file);
        if out.len() + section.len() > MAX_TOTAL_BYTES {
            left_out.push(file);
            continue;
        }
        out.push_str(&section);
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "\n_{} more file{} left out to keep this under {} KB; run `platgen diff` for them:_\n",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            MAX_TOTAL_BYTES / 1000
        );
        for file in left_out {
            let line = format!(
                "- {} ({}, {})\n",
                code(&file.path),
                status_word(file),
                counts(file)
            );
            if out.len() + line.len() > MAX_TOTAL_BYTES + 4_000 {
                out.push_str("- …\n");
                break;
            }
            out.push_str(&line);
        }
    }
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
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_the_content() {
        assert_eq!(fence("no ticks", 3), "```");
        assert_eq!(fence("a ```` b", 3), "`````");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
    }
}

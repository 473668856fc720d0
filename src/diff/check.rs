//! What `platgen check` reports about the output directory: one line per problem, sorted by
//! path, each saying what to do (`out/x.yaml: stale (run platgen render)`).

use crate::output::Changes;
use crate::output::manifest::MANIFEST_NAME;
use crate::output::{JOURNAL_NAME, TEMP_PREFIX};

/// Of the files `check --strict` finds unowned, those not reported as in the way already (see
/// [`Changes::obstacles`]) nor inside something in the way (a folder where a file goes).
pub fn unowned_elsewhere(changes: &Changes, mut unowned: Vec<String>) -> Vec<String> {
    if !changes.obstacles.is_empty() {
        unowned.retain(|path| {
            !changes.obstacles.iter().any(|(obstacle, _)| {
                path.strip_prefix(obstacle.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
        });
    }
    unowned
}

/// How many of the lines [`problems`] makes for `changes` are things in the way of render,
/// which render does not fix: files platgen does not own and other obstacles.
pub fn in_the_way(changes: &Changes) -> usize {
    changes.unowned_conflicts.len() + changes.obstacles.len()
}

/// The problems `changes` shows, plus `unowned` files (reported only with `--strict`; see
/// [`unowned_elsewhere`]), as lines. `out` is the output directory as the user named it. Empty
/// when all is well.
pub fn problems(out: &str, changes: &Changes, unowned: &[String]) -> Vec<String> {
    // Each list is sorted by path (a checkout that converted line endings lists every file).
    let edited = |p: &&String| changes.edited_by_hand.binary_search(p).is_ok();
    let mode_only = |p: &&String| changes.modes.binary_search(p).is_ok();
    let converted = |p: &&String| changes.line_endings.binary_search(p).is_ok();
    let (scripts, others): (Vec<&String>, Vec<&String>) = changes
        .modes
        .iter()
        .filter(|p| !edited(p))
        .partition(|p| crate::output::mode::executable(p));
    let crlf = format!(
        "CRLF line endings from a checkout (run platgen render; {})",
        crate::line_endings::advice(out)
    );
    let removed = |p: &&String| changes.removed.binary_search(p).is_ok();
    let mut found: Vec<(&str, &str)> = Vec::new();
    let lists: [(Vec<&String>, &str); 9] = [
        (
            changes.added.iter().collect(),
            "missing (run platgen render)",
        ),
        (
            changes
                .modified
                .iter()
                .filter(|p| !edited(p) && !mode_only(p) && !converted(p))
                .collect(),
            "stale (run platgen render)",
        ),
        (
            changes.modified.iter().filter(|p| converted(p)).collect(),
            &crlf,
        ),
        (scripts, "not executable (run platgen render)"),
        (
            others,
            "executable, but platgen writes it without the execute bit (run platgen render)",
        ),
        (
            changes
                .edited_by_hand
                .iter()
                .filter(|p| !removed(p))
                .collect(),
            "edited by hand (edit platform.toml, then platgen render)",
        ),
        // Render deletes it: editing platform.toml would not bring the edit back.
        (
            changes.edited_by_hand.iter().filter(removed).collect(),
            "no longer rendered, edited by hand (render will delete it; keep a copy if you need the edit)",
        ),
        (
            changes.removed.iter().filter(|p| !edited(p)).collect(),
            "no longer rendered (run platgen render)",
        ),
        (
            changes.unowned_conflicts.iter().collect(),
            "not written by platgen but in the way of a rendered file",
        ),
    ];
    for (paths, what) in lists {
        found.extend(paths.into_iter().map(|p| (p.as_str(), what)));
    }
    let obstacles: Vec<(&str, String)> = changes
        .obstacles
        .iter()
        .map(|(path, obstacle)| (path.as_str(), obstacle.describe()))
        .collect();
    found.extend(obstacles.iter().map(|(path, what)| (*path, what.as_str())));
    // A malformed manifest is named whatever else is found: which line is bad.
    let malformed = changes
        .manifest_malformed
        .as_ref()
        .map(|m| format!("{m} (run platgen render, which rewrites it)"));
    if changes.interrupted {
        found.push((
            JOURNAL_NAME,
            "a render was interrupted while replacing files (run platgen render)",
        ));
    }
    if let Some(malformed) = &malformed {
        found.push((MANIFEST_NAME, malformed));
    } else if !changes.interrupted && found.is_empty() && changes.manifest_stale {
        found.push((MANIFEST_NAME, "stale (run platgen render)"));
    }
    for path in unowned {
        let file = path.rsplit('/').next().unwrap_or(path);
        let what = if file.starts_with(TEMP_PREFIX) {
            "left by an interrupted render (run platgen render)"
        } else {
            "unowned (not written by platgen)"
        };
        found.push((path, what));
    }
    found.sort_by(|a, b| a.0.cmp(b.0));
    found
        .into_iter()
        .map(|(path, what)| crate::diagnostics::one_line(&format!("{out}/{path}: {what}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_manifest_is_reported_only_alone() {
        let mut changes = Changes {
            manifest_stale: true,
            ..Changes::default()
        };
        assert_eq!(
            problems("out", &changes, &[]),
            ["out/.platgen-manifest: stale (run platgen render)"]
        );
        changes.added.push("a.yaml".to_owned());
        assert_eq!(
            problems("out", &changes, &[]),
            ["out/a.yaml: missing (run platgen render)"]
        );
    }

    #[test]
    fn a_malformed_manifest_is_reported_with_its_line_beside_other_problems() {
        let changes = Changes {
            manifest_stale: true,
            manifest_malformed: Some(crate::output::manifest::Malformed {
                line: 7,
                problem: "is not `sha256  path`: \"junk\"".to_owned(),
            }),
            added: vec!["a.yaml".to_owned()],
            ..Changes::default()
        };
        assert_eq!(
            problems("out", &changes, &[]),
            [
                "out/.platgen-manifest: line 7 is not `sha256  path`: \"junk\" (run platgen render, which rewrites it)",
                "out/a.yaml: missing (run platgen render)",
            ]
        );
    }

    #[test]
    fn a_hand_edit_is_reported_once() {
        let changes = Changes {
            modified: vec!["a.yaml".to_owned(), "b.yaml".to_owned()],
            edited_by_hand: vec!["a.yaml".to_owned()],
            ..Changes::default()
        };
        assert_eq!(
            problems(
                "out",
                &changes,
                &["c.txt".to_owned(), ".platgen-tmp-x1".to_owned()]
            ),
            [
                "out/.platgen-tmp-x1: left by an interrupted render (run platgen render)",
                "out/a.yaml: edited by hand (edit platform.toml, then platgen render)",
                "out/b.yaml: stale (run platgen render)",
                "out/c.txt: unowned (not written by platgen)",
            ]
        );
    }

    /// A hand-edited file that render no longer writes is deleted by render, edit and all:
    /// the advice says so instead of "edit platform.toml".
    #[test]
    fn a_hand_edit_of_a_file_no_longer_rendered_is_not_sent_to_platform_toml() {
        let changes = Changes {
            modified: vec!["a.yaml".to_owned()],
            removed: vec!["b.yaml".to_owned(), "c.yaml".to_owned()],
            edited_by_hand: vec!["a.yaml".to_owned(), "b.yaml".to_owned()],
            ..Changes::default()
        };
        assert_eq!(
            problems("out", &changes, &[]),
            [
                "out/a.yaml: edited by hand (edit platform.toml, then platgen render)",
                "out/b.yaml: no longer rendered, edited by hand (render will delete it; keep a copy if you need the edit)",
                "out/c.yaml: no longer rendered (run platgen render)",
            ]
        );
    }

    /// Links, folders and FIFOs where files go, files where folders go: each one line, among
    /// the other problems, and what --strict finds inside them is not said again.
    #[test]
    fn what_is_in_the_way_is_one_line_each_beside_the_rest() {
        use crate::output::Obstacle;
        let changes = Changes {
            modified: vec!["a.yaml".to_owned()],
            edited_by_hand: vec!["a.yaml".to_owned()],
            obstacles: vec![
                ("b.yaml".to_owned(), Obstacle::Link),
                ("c.yaml".to_owned(), Obstacle::Folder),
                ("d.yaml".to_owned(), Obstacle::Special("a FIFO")),
                ("prometheus".to_owned(), Obstacle::FileAtFolder),
            ],
            ..Changes::default()
        };
        let unowned = ["c.yaml/mine.txt", "c.yamlx", "prometheus"].map(str::to_owned);
        let unowned = unowned_elsewhere(&changes, unowned.to_vec());
        assert_eq!(unowned, ["c.yamlx"]);
        assert_eq!(
            problems("out", &changes, &unowned),
            [
                "out/a.yaml: edited by hand (edit platform.toml, then platgen render)",
                "out/b.yaml: a symbolic link platgen did not write is in the way",
                "out/c.yaml: a folder is in the way",
                "out/c.yamlx: unowned (not written by platgen)",
                "out/d.yaml: a FIFO is in the way",
                "out/prometheus: a file is in the way of a rendered folder",
            ]
        );
        assert_eq!(in_the_way(&changes), 4);
    }

    #[test]
    fn a_wrong_mode_is_named_once_and_a_change_of_bytes_stays_stale() {
        let changes = Changes {
            modified: ["a.sh", "b.sh", "c.yaml", "d.sh"]
                .map(str::to_owned)
                .to_vec(),
            modes: ["a.sh", "c.yaml", "d.sh"].map(str::to_owned).to_vec(),
            edited_by_hand: vec!["d.sh".to_owned()],
            ..Changes::default()
        };
        assert_eq!(
            problems("out", &changes, &[]),
            [
                "out/a.sh: not executable (run platgen render)",
                "out/b.sh: stale (run platgen render)",
                "out/c.yaml: executable, but platgen writes it without the execute bit (run platgen render)",
                "out/d.sh: edited by hand (edit platform.toml, then platgen render)",
            ]
        );
    }
}

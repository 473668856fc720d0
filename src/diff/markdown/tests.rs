//! Tests of the markdown comment's size budget and cut notes.

use super::*;
use crate::diff::objects::{Change, ObjectChange, ObjectId};
use crate::diff::{Status, Summary};

#[test]
fn fences_outgrow_the_content() {
    assert_eq!(fence("no ticks", 3), "```");
    assert_eq!(fence("a ```` b", 3), "`````");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`x"), "`` `x ``");
}

#[test]
fn every_cut_note_fits_the_room_kept_for_it() {
    for left in [1, 2, usize::MAX] {
        for line in [
            notes_left_out(left),
            objects_left_out(left),
            diffs_left_out(left),
        ] {
            assert!(line.len() <= SECTION_NOTE_ROOM, "{line}");
        }
        let closing = Cut {
            unlisted: left,
            objects: left,
        }
        .note()
        .expect("a note");
        assert!(closing.len() <= CLOSING_NOTE_ROOM, "{closing}");
        assert!(
            closing.contains(&format!("{left} object change")),
            "{closing}"
        );
    }
    assert_eq!(Cut::default().note(), None);
}

fn added(path: &str, lines: usize, width: usize) -> FileDiff {
    FileDiff {
        path: path.to_owned(),
        status: Status::Added,
        edited_by_hand: false,
        old: String::new(),
        new: (0..lines)
            .map(|i| format!("{i:0width$}\n"))
            .collect::<String>(),
        mode: None,
        crlf: false,
    }
}

fn object(env: &str, name: &str) -> ObjectChange {
    ObjectChange {
        env: env.to_owned(),
        path: format!("{env}/kubernetes/{name}.yaml"),
        id: ObjectId {
            kind: "Deployment".to_owned(),
            namespace: Some("platform".to_owned()),
            name: Some(name.to_owned()),
        },
        change: Change::Added,
    }
}

fn review(files: Vec<FileDiff>, objects: Vec<ObjectChange>, notes: Vec<String>) -> Review {
    Review {
        out_dir: "out".to_owned(),
        summary: Summary {
            add: files.len(),
            change: 0,
            remove: 0,
        },
        files,
        objects,
        notes,
        obstacles: 0,
        clean: false,
    }
}

fn both_modes(review: &Review) -> [String; 2] {
    [false, true].map(|stat| render(review, Options { stat }))
}

#[test]
fn a_small_change_is_shown_whole_without_a_cut_note() {
    let review = review(
        vec![added("docs/a.md", 3, 4)],
        vec![object("production", "api")],
        vec!["a note".to_owned()],
    );
    for text in both_modes(&review) {
        assert!(!text.contains("_…") && !text.contains("left out"), "{text}");
        assert!(
            text.contains("docs/a.md") && text.contains("> a note"),
            "{text}"
        );
    }
}

#[test]
fn every_part_stays_within_the_budget_and_says_what_it_cut() {
    // Each part alone, then all of them, far beyond the budget.
    let long = "x".repeat(4_000);
    let files: Vec<FileDiff> = (0..3_000)
        .map(|i| added(&format!("{long}/f{i:04}.md"), 150, 40))
        .collect();
    let objects: Vec<ObjectChange> = (0..500)
        .map(|i| object(&format!("env{}", i / 100), &format!("{}-{i}", &long[..200])))
        .collect();
    let notes: Vec<String> = (0..50).map(|i| format!("{long} note {i}")).collect();
    let cases = [
        (review(files.clone(), Vec::new(), Vec::new()), "more file"),
        (
            review(Vec::new(), objects.clone(), Vec::new()),
            "more object change",
        ),
        (
            review(Vec::new(), Vec::new(), notes.clone()),
            "more notes not shown",
        ),
        (review(files, objects, notes), "more notes not shown"),
    ];
    for (review, said) in &cases {
        for text in both_modes(review) {
            assert!(text.len() <= MAX_TOTAL_BYTES, "{} bytes", text.len());
            assert!(text.contains(said), "{said:?} not in {text}");
            assert!(text.starts_with("### platgen diff\n\n**"), "{text}");
        }
    }
    // With every part too large, the files are still accounted for: shown, listed or
    // counted as not listed.
    let [details, stat] = both_modes(&cases[3].0);
    assert!(
        details.contains("more file") && details.contains("not listed"),
        "{details}"
    );
    assert!(
        stat.contains("not listed, to keep this comment under 60 KB"),
        "{stat}"
    );
    for text in [&details, &stat] {
        let shown_in_part = text.contains("more object changes not shown");
        assert!(
            shown_in_part || text.contains("500 object changes and"),
            "{text}"
        );
    }
}

#[test]
fn the_table_counts_the_rows_it_leaves_out() {
    let files: Vec<FileDiff> = (0..2_000)
        .map(|i| {
            added(
                &format!("production/kubernetes/service-{i:04}-deployment.yaml"),
                2,
                1,
            )
        })
        .collect();
    let text = render(
        &review(files, Vec::new(), Vec::new()),
        Options { stat: true },
    );
    assert!(text.len() <= MAX_TOTAL_BYTES, "{} bytes", text.len());
    let rows = text.lines().filter(|l| l.starts_with("| `")).count();
    let unlisted = format!("… and {} more files not listed", 2_000 - rows);
    assert!(
        rows > 100 && text.contains(&unlisted),
        "{unlisted:?} not in {text}"
    );
    assert!(
        text.contains("| `production/kubernetes/service-0000-deployment.yaml` | new | +2 −0 |")
    );
}

#[test]
fn a_file_too_large_to_show_leaves_room_for_the_next() {
    let files = vec![
        added("docs/huge.md", 150, 1_000),
        added("docs/small.md", 2, 1),
    ];
    let text = render(&review(files, Vec::new(), Vec::new()), Options::default());
    assert!(
        text.contains("<summary><code>docs/small.md</code>"),
        "{text}"
    );
    assert!(
        text.contains("1 more file left out to keep this under 60 KB"),
        "{text}"
    );
    assert!(text.contains("- `docs/huge.md` (new, +150 −0)"), "{text}");
}

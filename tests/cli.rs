//! The command line, run as a built binary: every command, every exit code (0 ok; 1 invalid
//! input or differences found; 2 usage or I/O error), and what each leaves in the output
//! directory: deterministic, pruned, never touching files platgen did not write, and unchanged
//! by a run that fails.

// A test's own report: the test harness captures it.
#![allow(clippy::disallowed_macros)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small platform: two environments, a web service and a worker.
const SMALL: &str = include_str!("fixtures/small.toml");

/// A temporary working directory; commands run inside it, so `out` means `<tmp>/out`. Each has
/// its own up-to-date cache, so a `check` after a `render` takes the cache's fast path as it
/// would for a user (tests/cache.rs holds it to the full pipeline's answers).
struct Work {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Work {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn out(&self) -> PathBuf {
        self.path("out")
    }

    /// Writes a platform file and returns its name.
    fn config(&self, name: &str, text: &str) -> String {
        fs::write(self.path(name), text).expect("write config");
        name.to_owned()
    }

    /// `platgen ARGS` in the work directory, with its own cache and no colour.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_platgen"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("PLATGEN_CACHE_DIR", self.cache.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("platgen runs")
    }

    /// Runs and asserts the exit code; returns (stdout, stderr).
    fn expect(&self, code: i32, args: &[&str]) -> (String, String) {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "platgen {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            args.join(" ")
        );
        (stdout, stderr)
    }

    fn render(&self, config: &str) -> String {
        self.expect(0, &["render", "--config", config, "--out", "out"])
            .0
    }

    fn tree(&self) -> Tree {
        tree(&self.out())
    }
}

/// What a directory holds: relative path → entry. Symlinks are recorded, not followed.
type Tree = BTreeMap<String, Entry>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir,
    /// A file's bytes, and whether it is executable (the owner's execute bit, as git sees it).
    File(Vec<u8>, bool),
    Symlink(PathBuf),
}

fn tree(dir: &Path) -> Tree {
    fn walk(base: &Path, dir: &Path, out: &mut Tree) {
        for entry in fs::read_dir(dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            let meta = fs::symlink_metadata(&path).expect("metadata");
            if meta.is_symlink() {
                out.insert(rel, Entry::Symlink(fs::read_link(&path).expect("link")));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(base, &path, out);
            } else {
                #[cfg(unix)]
                let executable = mode(&path) & 0o100 != 0;
                #[cfg(not(unix))]
                let executable = false;
                let bytes = fs::read(&path).expect("readable file");
                out.insert(rel, Entry::File(bytes, executable));
            }
        }
    }
    let mut out = Tree::new();
    walk(dir, dir, &mut out);
    out
}

/// The paths of the files (not directories) in a tree.
fn files(tree: &Tree) -> Vec<&str> {
    tree.iter()
        .filter(|(_, e)| matches!(e, Entry::File(..)))
        .map(|(p, _)| p.as_str())
        .collect()
}

/// Replaces `from` (which must occur) in `text`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in the platform");
    text.replacen(from, to, 1)
}

/// SMALL with a different LOG_LEVEL: every ConfigMap changes, nothing is added or removed.
fn small_changed() -> String {
    edit(SMALL, "LOG_LEVEL = \"INFO\"", "LOG_LEVEL = \"WARNING\"")
}

/// SMALL without its worker `jobs`.
fn small_without_jobs() -> &'static str {
    SMALL.split("[services.jobs]").next().unwrap_or(SMALL)
}

fn reference() -> String {
    fs::read_to_string(common::root().join("platform.toml")).expect("platform.toml")
}

/// Parses `N to add, N to change, N to remove.` from diff output.
fn diff_summary(stdout: &str) -> (usize, usize, usize) {
    let line = stdout.lines().last().unwrap_or_default();
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("number"))
        .collect();
    assert!(
        line.ends_with(" to remove.") && numbers.len() == 3,
        "no summary line in:\n{stdout}"
    );
    (numbers[0], numbers[1], numbers[2])
}

// ---- render ----

#[test]
fn render_is_deterministic_and_a_second_run_changes_nothing() {
    let work = Work::new();
    let config = work.config("platform.toml", &reference());
    let first_stdout = work.render(&config);
    assert!(
        first_stdout.contains(" 0 changed, 0 removed, 0 unchanged"),
        "{first_stdout}"
    );
    let first = work.tree();
    assert!(first.contains_key(".platgen-manifest"));

    let second_stdout = work.render(&config);
    assert!(
        second_stdout.contains(": 0 added, 0 changed, 0 removed, "),
        "{second_stdout}"
    );
    assert_eq!(work.tree(), first, "a second render changed the output");

    // A render into another directory is byte-identical: nothing depends on where or when.
    let other = Work::new();
    let config = other.config("platform.toml", &reference());
    other.render(&config);
    assert_eq!(other.tree(), first);
}

#[test]
fn committed_out_is_a_fresh_render_of_platform_toml() {
    let work = Work::new();
    let config = work.config("platform.toml", &reference());
    work.render(&config);
    let fresh = work.tree();
    let committed = tree(&common::root().join("out"));
    let fresh_files = files(&fresh);
    let committed_files = files(&committed);
    assert_eq!(
        committed_files, fresh_files,
        "out/ lists other files than a fresh render: run `platgen render`"
    );
    let stale: Vec<&str> = fresh_files
        .iter()
        .copied()
        .filter(|p| committed.get(*p) != fresh.get(*p))
        .collect();
    assert!(
        stale.is_empty(),
        "out/ is stale (run `platgen render`): {stale:?}"
    );
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Shell scripts are executable, every other file is not, as a first render into an empty
/// folder writes them (a fresh tree) and as a render into an existing one replaces them (each
/// file staged beside its target).
#[cfg(unix)]
#[test]
fn rendered_files_get_ordinary_permissions_and_scripts_are_executable() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let modes_are_ordinary = |work: &Work| {
        let tree = work.tree();
        let files = files(&tree);
        assert!(files.iter().any(|p| p.ends_with("/scripts/rollback.sh")));
        for path in files {
            let mode = mode(&work.out().join(path));
            let expected = if path.ends_with(".sh") { 0o755 } else { 0o644 };
            assert_eq!(mode, expected, "{path} has mode {mode:o}");
        }
    };
    // Through a shell, to pin the umask the modes are checked against.
    let output = render_under_sh(&work, "umask 022 &&", &config, "out");
    assert!(output.status.success());
    modes_are_ordinary(&work);
    // The directories too, out/ itself included (built beside it, then renamed into place).
    for (path, entry) in work.tree() {
        if entry == Entry::Dir {
            let mode = mode(&work.out().join(&path));
            assert_eq!(mode, 0o755, "{path}/ has mode {mode:o}");
        }
    }
    assert_eq!(mode(&work.out()), 0o755);
    // Replaced one by one: every file removed so that each is staged beside its target.
    for path in files(&work.tree()) {
        fs::remove_file(work.out().join(path)).expect("remove");
    }
    let output = render_under_sh(&work, "umask 022 &&", &config, "out");
    assert!(output.status.success());
    modes_are_ordinary(&work);
}

/// `platgen diff` is a patch `git apply --directory=out` applies: afterwards every file has
/// the bytes and the mode render gives it (a new script, a script that lost its execute bit, a
/// changed file, a pruned one).
#[cfg(unix)]
#[test]
fn the_diff_applies_with_git_apply_modes_included() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    fs::remove_file(work.out().join("staging/scripts/rollback.sh")).expect("remove");
    chmod(&work.out().join("production/scripts/rollback.sh"), 0o644);
    let changed = work.config(
        "changed.toml",
        &small_changed().replace("[services.jobs]", "[services.jobz]"),
    );
    let (patch, _) = work.expect(1, &["diff", "--config", &changed, "--out", "out"]);
    assert!(patch.contains("new file mode 100755\n"), "{patch}");
    assert!(
        patch.contains("old mode 100644\nnew mode 100755\n"),
        "{patch}"
    );
    fs::write(work.path("change.patch"), &patch).expect("write");
    let applied = Command::new("git")
        .args(["apply", "--directory=out", "change.patch"])
        .current_dir(work.dir.path())
        .output()
        .expect("git runs");
    assert!(applied.status.success(), "{}", common::text(&applied));
    // What a render of the same change leaves, the manifest aside.
    work.expect(0, &["render", "--config", &changed, "--out", "rendered"]);
    let without_manifest = |mut tree: Tree| {
        tree.remove(".platgen-manifest");
        tree
    };
    assert_eq!(
        without_manifest(work.tree()),
        without_manifest(tree(&work.path("rendered")))
    );
}

/// Turns every LF of every file under `dir` into CRLF, as git's `core.autocrlf` does on checkout.
fn convert_to_crlf(dir: &Path) {
    for path in files(&tree(dir)) {
        let file = dir.join(path);
        let text = fs::read_to_string(&file).expect("text");
        fs::write(&file, text.replace('\n', "\r\n")).expect("write");
    }
}

/// A checkout that converted `out/` to CRLF (Git for Windows' default) leaves files that hold
/// what platgen wrote: `check` and `diff` say so (not "edited by hand", not "in the way", even
/// with the manifest converted too) with the `.gitattributes` fix, `diff` shows only what else
/// changes, and `render` rewrites them with LF, warning once.
#[test]
fn a_checkout_that_converted_line_endings_is_named_and_undone() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    convert_to_crlf(&work.out());
    let check = [
        "check", "--config", &config, "--out", "out", "--format", "short",
    ];
    let (stdout, _) = work.expect(1, &check);
    let crlf = ": CRLF line endings from a checkout (run platgen render; `out/** -text` in \
                .gitattributes keeps LF)";
    let manifest = "out/.platgen-manifest: line 1 ends in CRLF: a checkout converted the line \
                    endings (run platgen render, which rewrites it)";
    let mut expected: Vec<String> = files(&before)
        .into_iter()
        .filter(|p| *p != ".platgen-manifest")
        .map(|p| format!("out/{p}{crlf}"))
        .collect();
    expected.push(manifest.to_owned());
    expected.sort();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);

    // With a change of the platform besides, the diff shows that change alone.
    let changed = work.changed();
    let diff = ["diff", "--config", &changed, "--out", "out"];
    let (stdout, _) = work.expect(1, &diff);
    assert!(
        !stdout.contains("edited by hand") && !stdout.contains("in the way"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "note: out/production/kubernetes/api-service.yaml has CRLF line endings from a \
             checkout: render rewrites it with LF (`out/** -text` in .gitattributes keeps LF)\n"
        ),
        "{stdout}"
    );
    let changed_lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    // Each ConfigMap's level and each Deployment's checksum of it, in two environments.
    assert_eq!(changed_lines.len(), 16, "{stdout}");
    assert!(
        changed_lines
            .iter()
            .all(|l| l.contains("LOG_LEVEL: ") || l.contains("checksum/config: ")),
        "{stdout}"
    );
    let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out", "--stat"]);
    assert!(
        stdout.contains(" production/kubernetes/api-service.yaml ")
            && stdout.contains("| 0 (CRLF → LF)\n"),
        "{stdout}"
    );

    let (stdout, stderr) = work.expect(0, &["render", "--config", &config, "--out", "out"]);
    let count = files(&before).len() - 1;
    assert!(stdout.contains(&format!(" {count} changed,")), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "warning: {count} files in out had CRLF line endings from a checkout; platgen is \
             rewriting them with LF (`out/** -text` in .gitattributes keeps LF)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("edited by hand"), "{stderr}");
    assert_eq!(work.tree(), before);
    work.expect(0, &check);

    // One file alone is named in the singular.
    let one = work.out().join("production/kubernetes/api-service.yaml");
    let text = fs::read_to_string(&one).expect("read");
    fs::write(&one, text.replace('\n', "\r\n")).expect("convert");
    let (_, stderr) = work.expect(0, &["render", "--config", &config, "--out", "out"]);
    assert!(
        stderr.contains(
            "warning: 1 file in out had CRLF line endings from a checkout; platgen is rewriting \
             it with LF (`out/** -text` in .gitattributes keeps LF)"
        ),
        "{stderr}"
    );
    assert_eq!(work.tree(), before);
}

/// A platform file a Windows checkout converted to CRLF is the same platform: its multi-line
/// strings keep LF line breaks, so render writes the same bytes (the ConfigMap, and with it the
/// pods' `checksum/config`), and `check` against the LF render is clean.
#[test]
fn a_platform_file_with_crlf_line_endings_renders_the_same_bytes() {
    let work = Work::new();
    let text = SMALL.replacen(
        "[platform.config]\n",
        "[platform.config]\nBANNER = \"\"\"\nwelcome\nto the shop\"\"\"\n",
        1,
    );
    assert_ne!(text, SMALL);
    let config = work.config("platform.toml", &text);
    work.render(&config);
    let before = work.tree();
    let configmap =
        String::from_utf8_lossy(match &before["staging/kubernetes/api-configmap.yaml"] {
            Entry::File(bytes, _) => bytes,
            other => panic!("{other:?}"),
        })
        .into_owned();
    assert!(
        configmap.contains("BANNER: \"welcome\\nto the shop\""),
        "{configmap}"
    );
    let converted = work.config("converted.toml", &text.replace('\n', "\r\n"));
    work.expect(0, &["check", "--config", &converted, "--out", "out"]);
    work.expect(0, &["diff", "--config", &converted, "--out", "out"]);
    work.expect(0, &["render", "--config", &converted, "--out", "out"]);
    assert_eq!(work.tree(), before);
}

/// A script that lost its execute bit (or a file that gained one) is not what render writes,
/// though its bytes are: `check` names it (past the up-to-date cache), `diff` shows the change
/// of mode as git does and `render` puts the mode back (past the incremental record).
#[cfg(unix)]
#[test]
fn a_wrong_execute_bit_is_reported_shown_and_put_back() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    let script = work.out().join("production/scripts/rollback.sh");
    let service = work.out().join("production/kubernetes/api-service.yaml");
    let check = ["check", "--config", &config, "--out", "out"];
    // Asked twice: the second answer may come from the up-to-date cache.
    work.expect(0, &check);
    work.expect(0, &check);
    chmod(&script, 0o644);
    chmod(&service, 0o744);
    for _ in 0..2 {
        let (stdout, _) = work.expect(1, &check);
        assert_eq!(
            stdout,
            "out/production/kubernetes/api-service.yaml: executable, but platgen writes it \
             without the execute bit (run platgen render)\n\
             out/production/scripts/rollback.sh: not executable (run platgen render)\n"
        );
    }
    let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out"]);
    assert_eq!(
        stdout,
        "diff --git a/production/kubernetes/api-service.yaml \
         b/production/kubernetes/api-service.yaml\n\
         old mode 100755\n\
         new mode 100644\n\
         diff --git a/production/scripts/rollback.sh b/production/scripts/rollback.sh\n\
         old mode 100644\n\
         new mode 100755\n\
         0 to add, 2 to change, 0 to remove.\n"
    );
    let stat = ["diff", "--config", &config, "--out", "out", "--stat"];
    let (stdout, _) = work.expect(1, &stat);
    assert!(
        stdout.contains(" production/scripts/rollback.sh         | 0 (mode 100644 → 100755)\n"),
        "{stdout}"
    );
    let (stdout, _) = work.expect(0, &["render", "--config", &config, "--out", "out"]);
    assert!(stdout.contains(" 2 changed,"), "{stdout}");
    assert_eq!(mode(&script), 0o755);
    assert_eq!(mode(&service), 0o644);
    assert_eq!(work.tree(), before);
    work.expect(0, &check);
    // The same bytes with a script's mode lost and its content changed: both are shown.
    chmod(&script, 0o600);
    fs::write(
        &script,
        fs::read_to_string(&script).expect("read") + "# edited\n",
    )
    .expect("edit");
    let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out"]);
    assert!(
        stdout.starts_with(
            "note: out/production/scripts/rollback.sh was edited by hand: render will overwrite it\n\
             diff --git a/production/scripts/rollback.sh b/production/scripts/rollback.sh\n\
             old mode 100644\n\
             new mode 100755\n\
             --- a/production/scripts/rollback.sh\n\
             +++ b/production/scripts/rollback.sh\n"
        ),
        "{stdout}"
    );
    work.render(&config);
    assert_eq!(mode(&script), 0o755);
    assert_eq!(work.tree(), before);
}

#[test]
fn a_hand_edited_file_is_replaced_with_a_warning() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    let target = work.out().join("production/kubernetes/api-service.yaml");
    fs::write(&target, "edited\n").expect("edit");
    let (stdout, stderr) = work.expect(0, &["render", "--config", &config, "--out", "out"]);
    assert!(
        stderr.contains(
            "api-service.yaml was edited by hand; platgen is replacing it (edit platform.toml instead)"
        ),
        "{stderr}"
    );
    assert!(stdout.contains(" 1 changed,"), "{stdout}");
    assert_eq!(work.tree(), before);

    // A hand-edited file that is no longer rendered is pruned, and the warning says so.
    fs::write(
        work.out().join("staging/kubernetes/jobs-deployment.yaml"),
        "edited\n",
    )
    .expect("edit");
    let without_jobs = work.config("without-jobs.toml", small_without_jobs());
    // check and diff say beforehand that render deletes it, edit and all.
    let (stdout, _) = work.expect(
        1,
        &["check", "--format", "short", "--config", &without_jobs],
    );
    assert!(
        stdout.lines().any(|l| l
            == "out/staging/kubernetes/jobs-deployment.yaml: no longer rendered, edited by hand \
                (render will delete it; keep a copy if you need the edit)"),
        "{stdout}"
    );
    let (stdout, _) = work.expect(1, &["diff", "--stat", "--config", &without_jobs]);
    assert!(
        stdout.lines().any(
            |l| l.starts_with(" staging/kubernetes/jobs-deployment.yaml ")
                && l.ends_with("(removed, edited by hand)")
        ),
        "{stdout}"
    );
    let (_, stderr) = work.expect(0, &["render", "--config", &without_jobs, "--out", "out"]);
    assert!(
        stderr.contains(
            "jobs-deployment.yaml was edited by hand; platgen is removing it (it is no longer rendered)"
        ),
        "{stderr}"
    );
}

// ---- check ----

#[test]
fn check_passes_on_a_fresh_render() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let (stdout, _) = work.expect(0, &["check", "--config", &config, "--out", "out"]);
    assert!(stdout.contains("are consistent"), "{stdout}");
    let (stdout, stderr) = work.expect(
        0,
        &[
            "check", "--config", &config, "--out", "out", "--format", "short",
        ],
    );
    assert!(stdout.is_empty() && stderr.is_empty(), "{stdout}{stderr}");
}

#[test]
fn check_reports_stale_missing_hand_edited_and_pruned_files() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let out = work.out();

    // Stale: the platform changed since the render.
    let changed = work.config("changed.toml", &small_changed());
    // Missing: an owned file was deleted.
    fs::remove_file(out.join("staging/kubernetes/jobs-serviceaccount.yaml")).expect("delete");
    // Edited by hand: an owned file's content is not what platgen wrote.
    fs::write(out.join("staging/kubernetes/api-service.yaml"), "edited\n").expect("edit");

    for format in ["human", "short"] {
        let (stdout, _) = work.expect(
            1,
            &[
                "check", "--config", &changed, "--out", "out", "--format", format,
            ],
        );
        for expected in [
            "out/production/kubernetes/api-configmap.yaml: stale (run platgen render)",
            "out/staging/kubernetes/jobs-configmap.yaml: stale (run platgen render)",
            // The pod template carries the ConfigMap's checksum, so the pods roll.
            "out/production/kubernetes/api-deployment.yaml: stale (run platgen render)",
            "out/staging/kubernetes/jobs-serviceaccount.yaml: missing (run platgen render)",
            "out/staging/kubernetes/api-service.yaml: edited by hand (edit platform.toml, then platgen render)",
        ] {
            assert!(
                stdout.lines().any(|l| l == expected),
                "{expected:?} not in:\n{stdout}"
            );
        }
        assert!(
            !stdout.contains("api-serviceaccount.yaml"),
            "unchanged file reported:\n{stdout}"
        );
    }

    // No longer rendered: a service was removed from the platform.
    let without_jobs = work.config("without-jobs.toml", small_without_jobs());
    let (stdout, _) = work.expect(1, &["check", "--config", &without_jobs, "--out", "out"]);
    assert!(
        stdout.lines().any(|l| l == "out/production/kubernetes/jobs-deployment.yaml: no longer rendered (run platgen render)"),
        "{stdout}"
    );
    // check never writes.
    assert!(
        !out.join("staging/kubernetes/jobs-serviceaccount.yaml")
            .exists()
    );
}

#[test]
fn check_fails_when_nothing_was_rendered() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let (stdout, _) = work.expect(1, &["check", "--config", &config, "--out", "out"]);
    assert!(
        stdout.contains(": missing (run platgen render)"),
        "{stdout}"
    );
    assert!(!work.out().exists(), "check created the output directory");
}

// ---- diff ----

#[test]
fn diff_is_empty_on_a_fresh_render() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let (stdout, _) = work.expect(0, &["diff", "--config", &config, "--out", "out"]);
    assert_eq!(stdout, "0 to add, 0 to change, 0 to remove.\n");
}

#[test]
fn diff_shows_a_unified_diff_and_a_summary() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    fs::remove_file(
        work.out()
            .join("production/kubernetes/jobs-serviceaccount.yaml"),
    )
    .expect("delete");
    let before = work.tree();
    let changed = work.config("changed.toml", &small_changed());
    let (stdout, _) = work.expect(
        1,
        &[
            "diff", "--config", &changed, "--out", "out", "--color", "never",
        ],
    );
    assert!(stdout.contains("--- a/production/kubernetes/api-configmap.yaml\n+++ b/production/kubernetes/api-configmap.yaml\n@@ "), "{stdout}");
    assert!(
        stdout.lines().any(|l| l == "-  LOG_LEVEL: INFO"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "+  LOG_LEVEL: WARNING"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/production/kubernetes/jobs-serviceaccount.yaml"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "colour with --color never");
    let (add, change, remove) = diff_summary(&stdout);
    let headers = stdout
        .lines()
        .filter(|l| l.starts_with("--- a/") || *l == "--- /dev/null")
        .count();
    assert_eq!((add, remove), (1, 0), "{stdout}");
    assert!(change >= 4, "{stdout}");
    assert_eq!(add + change + remove, headers, "{stdout}");
    // diff never writes.
    assert_eq!(work.tree(), before);
}

#[test]
fn diff_counts_removals() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let without_jobs = work.config("without-jobs.toml", small_without_jobs());
    let (stdout, _) = work.expect(1, &["diff", "--config", &without_jobs, "--out", "out"]);
    let (add, _, remove) = diff_summary(&stdout);
    assert_eq!(add, 0, "{stdout}");
    assert!(remove >= 6, "{stdout}");
    assert!(
        stdout.contains("--- a/staging/kubernetes/jobs-deployment.yaml\n+++ /dev/null\n"),
        "{stdout}"
    );
    // The object summary names what goes.
    assert!(
        stdout.contains("Kubernetes objects in staging:\n")
            && stdout.contains("  - Deployment shop-staging/jobs\n"),
        "{stdout}"
    );
}

// ---- environments ----

#[test]
fn env_renders_one_environment_and_prunes_nothing_else() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.expect(
        0,
        &[
            "render",
            "--config",
            &config,
            "--out",
            "out",
            "--env",
            "production",
        ],
    );
    let only = work.tree();
    let listed = files(&only);
    assert!(
        listed.iter().any(|p| p.starts_with("production/")),
        "{listed:?}"
    );
    assert!(
        !listed.iter().any(|p| p.starts_with("staging/")),
        "{listed:?}"
    );

    // A full render, then a changed platform rendered for production only: staging keeps its
    // (now stale) files, nothing of it is pruned.
    work.render(&config);
    let full = work.tree();
    let changed = work.config("changed.toml", &small_changed());
    let (stdout, _) = work.expect(
        0,
        &[
            "render",
            "--config",
            &changed,
            "--out",
            "out",
            "--env",
            "production",
        ],
    );
    assert!(stdout.contains(" 0 removed,"), "{stdout}");
    let after = work.tree();
    for (path, entry) in &full {
        if path.starts_with("staging/") {
            assert_eq!(after.get(path), Some(entry), "{path} changed");
        }
    }
    assert_ne!(
        after.get("production/kubernetes/api-configmap.yaml"),
        full.get("production/kubernetes/api-configmap.yaml")
    );
    work.expect(
        0,
        &[
            "check",
            "--config",
            &changed,
            "--out",
            "out",
            "--env",
            "production",
        ],
    );
    let (stdout, _) = work.expect(1, &["check", "--config", &changed, "--out", "out"]);
    assert!(
        stdout.contains("out/staging/kubernetes/api-configmap.yaml: stale"),
        "{stdout}"
    );
}

#[test]
fn env_render_keeps_the_files_of_a_removed_environment() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let full = work.tree();
    let staging: Vec<&String> = full.keys().filter(|p| p.starts_with("staging/")).collect();
    assert!(!staging.is_empty(), "{full:?}");
    // staging removed from the platform; rendering production alone must not touch it.
    let without = work.config(
        "without-staging.toml",
        &edit(
            SMALL,
            "[environments.staging]\nruntime = \"kubernetes\"\ndomain = \"staging.example.com\"\n",
            "",
        ),
    );
    let scoped = ["--config", &without, "--out", "out", "--env", "production"];
    // The shared workflows change (they no longer deploy to staging); staging is not removed.
    let output = work.run(&[&["diff"][..], &scoped].concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" 0 to remove"), "{stdout}");
    let (stdout, _) = work.expect(0, &[&["render"][..], &scoped].concat());
    assert!(stdout.contains(" 0 removed,"), "{stdout}");
    let after = work.tree();
    for path in &staging {
        assert_eq!(after.get(*path), full.get(*path), "{path} changed");
    }
    work.expect(0, &[&["check"][..], &scoped].concat());
    // A render of every environment is what prunes it.
    let (stdout, _) = work.expect(1, &["check", "--config", &without, "--out", "out"]);
    assert!(
        stdout.contains("out/staging/kubernetes/api-configmap.yaml: no longer rendered"),
        "{stdout}"
    );
    work.expect(0, &["render", "--config", &without, "--out", "out"]);
    assert!(!work.out().join("staging").exists());
}

#[test]
fn unknown_env_is_a_usage_error_with_a_suggestion() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    for command in ["render", "check", "diff"] {
        let (_, stderr) = work.expect(
            2,
            &[
                command, "--config", &config, "--out", "out", "--env", "prod",
            ],
        );
        assert!(stderr.contains("no environment named `prod`"), "{stderr}");
        assert!(stderr.contains("did you mean `production`?"), "{stderr}");
    }
    assert!(!work.out().exists());
}

// ---- usage and I/O errors ----

#[test]
fn missing_config_is_a_usage_error() {
    let work = Work::new();
    for command in ["render", "check", "diff"] {
        let (_, stderr) = work.expect(2, &[command, "--config", "nope.toml", "--out", "out"]);
        assert!(
            stderr.contains("error[E0100]: nope.toml does not exist"),
            "{stderr}"
        );
        // The default --config is platform.toml in the current directory; there is none.
        let (_, stderr) = work.expect(2, &[command]);
        assert!(stderr.contains("platform.toml does not exist"), "{stderr}");
        assert!(stderr.contains("--config FILE"), "{stderr}");
    }
    assert!(!work.out().exists());
}

#[test]
fn a_missing_platform_file_points_at_the_nearest_one_above() {
    let work = Work::new();
    work.config("platform.toml", SMALL);
    let below = work.path("services/api");
    fs::create_dir_all(&below).expect("mkdir");
    for command in ["render", "check", "diff"] {
        let output = work
            .command(&[command])
            .current_dir(&below)
            .output()
            .expect("platgen runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("help: pass the platform file with --config FILE: the nearest platform.toml is in ../.. (--config ../../platform.toml)"),
            "{stderr}"
        );
    }
    // Only a bare file name is looked for above; a path names one place.
    let output = work
        .command(&["check", "--config", "./platform.toml"])
        .current_dir(&below)
        .output()
        .expect("platgen runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("help: pass the platform file with --config FILE\n"),
        "{stderr}"
    );
    // A platform file that is there but cannot be read is no reason to look above.
    fs::create_dir(below.join("platform.toml")).expect("mkdir");
    let output = work
        .command(&["check"])
        .current_dir(&below)
        .output()
        .expect("platgen runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("platform.toml is a directory"), "{stderr}");
    assert!(
        stderr.contains("help: pass the platform file with --config FILE\n"),
        "{stderr}"
    );
    // platgen never uses that file on its own: nothing was rendered.
    assert!(!work.out().exists());
    assert!(!below.join("out").exists());
}

#[test]
fn a_misspelt_template_override_is_an_error_not_ignored() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let stray = work.path("tpl/kubernetes/deploymnet.yaml");
    fs::create_dir_all(stray.parent().expect("parent")).expect("mkdir");
    fs::write(&stray, "kind: Deployment\n").expect("write");
    for command in ["render", "check", "diff"] {
        let args = [command, "--config", &config, "--templates", "tpl"];
        let (_, stderr) = work.expect(2, &args);
        assert!(stderr.contains("error[E0406]"), "{stderr}");
        assert!(
            stderr.contains("there is no template `kubernetes/deploymnet.yaml`"),
            "{stderr}"
        );
        assert!(
            stderr.contains("did you mean `kubernetes/deployment.yaml`?"),
            "{stderr}"
        );
        let args = [command, "--config", &config, "--templates", "templates"];
        let (_, stderr) = work.expect(2, &args);
        assert!(
            stderr.contains("the template directory templates does not exist"),
            "{stderr}"
        );
    }
    assert!(!work.out().exists());
}

#[test]
fn unreadable_configs_and_outputs_say_what_is_wrong() {
    let work = Work::new();
    fs::create_dir(work.path("dir.toml")).expect("mkdir");
    fs::write(
        work.path("latin1.toml"),
        b"[platform]\nname = \"caf\xe9\"\n",
    )
    .expect("write");
    let config = work.config("platform.toml", SMALL);
    fs::write(work.path("file"), "not a directory\n").expect("write");
    for command in ["render", "check", "diff"] {
        let (_, stderr) = work.expect(2, &[command, "--config", "dir.toml"]);
        assert!(stderr.contains("dir.toml is a directory"), "{stderr}");
        // Read no further than a platform file can be long, not to the end of the memory.
        let (_, stderr) = work.expect(2, &[command, "--config", "/dev/zero"]);
        assert!(
            stderr.contains("/dev/zero is larger than 64 MiB: too large for a platform file"),
            "{stderr}"
        );
        // Not UTF-8 is invalid input (1; diff says 2 for any invalid input), located.
        let invalid = if command == "diff" { 2 } else { 1 };
        let (_, stderr) = work.expect(invalid, &[command, "--config", "latin1.toml"]);
        assert!(stderr.contains("latin1.toml is not UTF-8 text"), "{stderr}");
        assert!(stderr.contains("latin1.toml:2:12"), "{stderr}");
        assert!(stderr.contains("save it with that encoding"), "{stderr}");
        let (_, stderr) = work.expect(2, &[command, "--config", &config, "--out", "file"]);
        assert!(
            stderr.contains("the output directory file is not a directory"),
            "{stderr}"
        );
    }
    assert_eq!(
        fs::read_to_string(work.path("file")).expect("read"),
        "not a directory\n"
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let work = Work::new();
    work.expect(2, &["render", "--bogus"]);
    work.expect(2, &["render", "--format", "json"]);
    work.expect(2, &["frobnicate"]);
    work.expect(2, &[]);
    work.expect(0, &["--version"]);
    work.expect(0, &["--help"]);
}

/// A misspelt option is named, with the subcommand's option it likely means: clap's own
/// measure misses a swapped pair of letters in a short name.
#[test]
fn a_misspelt_option_gets_the_one_it_likely_means() {
    let work = Work::new();
    for (args, meant) in [
        (&["render", "--evn", "production"][..], Some("--env")),
        (&["render", "--evn=production"][..], Some("--env")),
        (&["diff", "--stta"][..], Some("--stat")),
        (&["check", "--strcit"][..], Some("--strict")),
        // An option of another subcommand is no suggestion here.
        (&["render", "--stat"][..], None),
        (&["render", "--bogus"][..], None),
    ] {
        let output = work.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tip = "tip: a similar argument exists:";
        match meant {
            Some(meant) => assert!(stderr.contains(&format!("{tip} '{meant}'")), "{stderr}"),
            None => assert!(!stderr.contains(tip), "{stderr}"),
        }
    }
}

/// `/dev/full`, where every write fails (as on a full disk).
#[cfg(target_os = "linux")]
fn dev_full() -> fs::File {
    fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

/// Runs with stdout and stderr on [`dev_full`]: the run still does its work and exits with its
/// own code, without a panic.
#[cfg(target_os = "linux")]
fn run_on_full_streams(work: &Work, args: &[&str]) -> Option<i32> {
    let mut command = work.command(args);
    command
        .stdout(dev_full())
        .stderr(dev_full())
        .env("RUST_BACKTRACE", "0");
    command.status().expect("platgen runs").code()
}

#[cfg(target_os = "linux")]
#[test]
fn streams_that_take_nothing_do_not_change_the_outcome() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    // A panic exits with 101; every command here has a code of its own.
    let render = ["render", "--config", &config, "--out", "out"];
    assert_eq!(run_on_full_streams(&work, &render), Some(0));
    let rendered = work.tree();
    assert!(!rendered.is_empty(), "render wrote nothing");
    assert_eq!(run_on_full_streams(&work, &render), Some(0));
    let check = ["check", "--config", &config, "--out", "out"];
    assert_eq!(run_on_full_streams(&work, &check), Some(0));
    assert_eq!(
        run_on_full_streams(
            &work,
            &["check", "--no-cache", "--config", &config, "--out", "out"]
        ),
        Some(0)
    );
    // A problem to report (a hand edit), on both streams; render then warns before replacing.
    let edited = work.out().join("staging/kubernetes/api-deployment.yaml");
    let text = fs::read_to_string(&edited).expect("rendered deployment");
    fs::write(&edited, format!("{text}# edited\n")).expect("edit");
    assert_eq!(run_on_full_streams(&work, &check), Some(1));
    let diff = ["diff", "--config", &config, "--out", "out"];
    assert_eq!(
        run_on_full_streams(&work, &diff),
        Some(2),
        "the diff is diff's product"
    );
    assert_eq!(run_on_full_streams(&work, &render), Some(0));
    assert_eq!(work.tree(), rendered);
    // What a command prints is its product: it cannot be written, so the command failed.
    assert_eq!(run_on_full_streams(&work, &["schema"]), Some(2));
    assert_eq!(run_on_full_streams(&work, &["templates"]), Some(2));
    let one = ["templates", "kubernetes/namespace.yaml"];
    assert_eq!(run_on_full_streams(&work, &one), Some(2));
    let output = work
        .command(&["completions", "bash"])
        .stdout(dev_full())
        .output()
        .expect("platgen runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot write to standard output: No space left on device"),
        "{stderr}"
    );
}

// ---- schema, completions, man ----

#[test]
fn schema_command_prints_the_committed_schema() {
    let work = Work::new();
    let (stdout, _) = work.expect(0, &["schema"]);
    let committed = fs::read_to_string(common::root().join("schema/platform.schema.json"))
        .expect("schema/platform.schema.json");
    assert!(
        stdout == committed,
        "schema/platform.schema.json is out of date: run `platgen schema > schema/platform.schema.json`"
    );
    serde_json::from_str::<serde_json::Value>(&stdout).expect("the schema is JSON");
}

/// `platgen templates` lists the built-in templates, each of which it prints exactly as the
/// repository's `templates/` holds it: the start of an override.
#[test]
fn templates_are_listed_and_printed_as_the_repository_holds_them() {
    let work = Work::new();
    let (list, _) = work.expect(0, &["templates"]);
    let names: Vec<&str> = list.lines().collect();
    let root = common::root().join("templates");
    let mut on_disk: Vec<String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|entry| entry.expect("walk templates/"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(&root).expect("under templates/");
            relative.to_string_lossy().replace('\\', "/")
        })
        .collect();
    on_disk.sort();
    assert_eq!(names, on_disk, "every template, in order, one per line");
    for name in [
        "kubernetes/deployment.yaml",
        "github/_checkout.yml",
        "scripts/_select.sh",
    ] {
        let (text, _) = work.expect(0, &["templates", name]);
        assert_eq!(
            text,
            fs::read_to_string(root.join(name)).expect("read"),
            "{name}"
        );
    }
    // What it prints, put in place as an override, renders what the built-in template does.
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    let (text, _) = work.expect(0, &["templates", "kubernetes/deployment.yaml"]);
    let override_ = work.path("tpl/kubernetes/deployment.yaml");
    fs::create_dir_all(override_.parent().expect("parent")).expect("mkdir");
    fs::write(&override_, &text).expect("write the override");
    work.expect(0, &["render", "--config", &config, "--templates", "tpl"]);
    assert_eq!(work.tree(), before);
    // The same with CRLF line endings (written on Windows, or checked out there with
    // core.autocrlf): the same bytes, no CR in them.
    fs::write(&override_, text.replace('\n', "\r\n")).expect("write the override");
    work.expect(0, &["render", "--config", &config, "--templates", "tpl"]);
    assert_eq!(work.tree(), before);
    // An unknown name is a usage error, with the closest name.
    let output = work.run(&["templates", "kubernetes/deploymnet.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[E0406]: there is no built-in template `kubernetes/deploymnet.yaml`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: did you mean `kubernetes/deployment.yaml`?"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    // A name nothing is close to gets the way to list them.
    let (_, stderr) = work.expect(2, &["templates", "nothing-like-it"]);
    assert!(
        stderr.contains("help: `platgen templates` lists them all") && !stderr.contains("did you"),
        "{stderr}"
    );
    // The shells complete the names.
    for shell in ["bash", "zsh", "fish"] {
        let (completions, _) = work.expect(0, &["completions", shell]);
        assert!(
            completions.contains("kubernetes/deployment.yaml"),
            "{shell}: {completions}"
        );
    }
}

#[test]
fn completions_and_man_page_are_printed() {
    let work = Work::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (stdout, _) = work.expect(0, &["completions", shell]);
        assert!(
            stdout.contains("platgen") && stdout.contains("render"),
            "{shell}: {stdout}"
        );
    }
    work.expect(2, &["completions", "tcsh"]);
    let (stdout, _) = work.expect(0, &["man"]);
    assert!(stdout.contains(".TH platgen 1"), "{stdout}");
    assert!(stdout.contains("render"), "{stdout}");
}

// ---- ownership and pruning ----

#[test]
fn removed_services_and_environments_are_pruned_and_unowned_files_kept() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let out = work.out();
    fs::write(out.join("README.md"), "# mine\n").expect("write README");
    fs::write(out.join("production/kubernetes/NOTES.md"), "mine too\n").expect("write NOTES");

    // One service fewer: its files go, everything else stays.
    let before = work.tree();
    let without_jobs = work.config("without-jobs.toml", small_without_jobs());
    let stdout = work.render(&without_jobs);
    assert!(stdout.contains(" 0 added,"), "{stdout}");
    let after = work.tree();
    let expected: Vec<&String> = before
        .keys()
        .filter(|p| !p.contains("/jobs-") && p.as_str() != "docker/Dockerfile.jobs")
        .collect();
    assert_eq!(after.keys().collect::<Vec<_>>(), expected);
    assert!(files(&before).iter().any(|p| p.contains("/jobs-")));
    for unowned in ["README.md", "production/kubernetes/NOTES.md"] {
        assert_eq!(after.get(unowned), before.get(unowned), "{unowned}");
    }

    // One environment fewer: its files and the directories they leave empty go; a directory
    // still holding a file platgen did not write stays.
    let production_only = edit(
        &fs::read_to_string(work.path(&without_jobs)).expect("read"),
        "[environments.staging]\nruntime = \"kubernetes\"\ndomain = \"staging.example.com\"\n",
        "",
    );
    let production_only = work.config("production-only.toml", &production_only);
    fs::remove_file(out.join("production/kubernetes/NOTES.md")).expect("remove NOTES");
    fs::write(out.join("staging/kubernetes/NOTES.md"), "mine\n").expect("write NOTES");
    work.render(&production_only);
    let after = work.tree();
    let staging: Vec<&String> = after.keys().filter(|p| p.starts_with("staging")).collect();
    assert_eq!(
        staging,
        [
            "staging",
            "staging/kubernetes",
            "staging/kubernetes/NOTES.md"
        ]
    );
    fs::remove_file(out.join("staging/kubernetes/NOTES.md")).expect("remove NOTES");
    // Rendering the full platform and pruning staging again leaves no empty directory behind.
    work.render(&without_jobs);
    work.render(&production_only);
    assert!(!out.join("staging").exists(), "{:?}", work.tree().keys());
    assert_eq!(
        fs::read_to_string(out.join("README.md")).expect("README kept"),
        "# mine\n"
    );
}

#[test]
fn an_unowned_file_in_the_way_stops_render_and_changes_nothing() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    fs::create_dir_all(work.out().join("production/kubernetes")).expect("mkdir");
    fs::write(
        work.out().join("production/kubernetes/api-service.yaml"),
        "# my own Service\n",
    )
    .expect("write");
    let before = work.tree();
    let (stdout, stderr) = work.expect(2, &["render", "--config", &config, "--out", "out"]);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("api-service.yaml exists and was not written by platgen"),
        "{stderr}"
    );
    assert_eq!(work.tree(), before);

    let (stdout, _) = work.expect(1, &["check", "--config", &config, "--out", "out"]);
    assert!(
        stdout.contains("out/production/kubernetes/api-service.yaml: not written by platgen but in the way of a rendered file"),
        "{stdout}"
    );
    let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out"]);
    assert!(stdout.contains("-# my own Service"), "{stdout}");
    assert_eq!(work.tree(), before);
}

/// Without its manifest, every file platgen wrote is in the way of a changed render: the help
/// then names the lost manifest and how to bring it back, and with it the render goes through.
#[test]
fn a_lost_manifest_is_named_where_render_refuses_its_files() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.expect(0, &["render", "--config", &config, "--out", "out"]);
    let manifest = work.out().join(".platgen-manifest");
    let kept = fs::read(&manifest).expect("manifest");
    fs::remove_file(&manifest).expect("lose it");
    let changed = work.config(
        "platform.toml",
        &SMALL.replace("replicas = 2", "replicas = 3"),
    );
    let before = work.tree();
    let (_, stderr) = work.expect(2, &["render", "--config", &changed, "--out", "out"]);
    assert!(
        stderr.contains("out/.platgen-manifest (its record of the files it wrote) is missing: if it was deleted, restore it (e.g. `git checkout -- out/.platgen-manifest`) and render again"),
        "{stderr}"
    );
    assert_eq!(work.tree(), before);
    fs::write(&manifest, kept).expect("restore it");
    work.expect(0, &["render", "--config", &changed, "--out", "out"]);
}

#[test]
fn an_edited_manifest_cannot_make_render_delete_outside_out() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let victim = work.path("victim.txt");
    fs::write(&victim, "precious\n").expect("write victim");
    let absolute = work.path("absolute-victim.txt");
    fs::write(&absolute, "precious\n").expect("write victim");
    // Entries claiming the victims, with their true hashes, as if platgen had written them.
    let hash = platgen::output::manifest::hash(b"precious\n");
    let manifest = work.out().join(".platgen-manifest");
    let mut text = fs::read_to_string(&manifest).expect("manifest");
    text.push_str(&format!("{hash}  ../victim.txt\n"));
    text.push_str(&format!("{hash}  production/../../victim.txt\n"));
    text.push_str(&format!("{hash}  {}\n", absolute.display()));
    fs::write(&manifest, text).expect("edit manifest");
    work.render(&config);
    work.expect(0, &["check", "--config", &config, "--out", "out"]);
    assert!(victim.exists(), "render deleted a file outside out/");
    assert!(absolute.exists(), "render deleted a file by absolute path");
}

// ---- failures leave out/ as it was ----

/// Renders SMALL, then breaks the output directory with `sabotage` and renders a changed
/// platform: the render must fail with exit 2 and leave the directory exactly as it was.
/// Returns the work directory (so a caller can undo the sabotage before it is removed) and stderr.
fn failed_render_changes_nothing(
    first_args: &[&str],
    sabotage: impl FnOnce(&Path),
) -> (Work, String) {
    failed_render_changes_nothing_under("", first_args, sabotage)
}

/// [`failed_render_changes_nothing`], the failing render run by `sh` after `shell_setup`.
fn failed_render_changes_nothing_under(
    shell_setup: &str,
    first_args: &[&str],
    sabotage: impl FnOnce(&Path),
) -> (Work, String) {
    let (work, output) = stopped_render_changes_nothing(shell_setup, first_args, sabotage);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    (work, stderr)
}

/// [`failed_render_changes_nothing_under`], however the render ends: its output, for the
/// caller to check how.
fn stopped_render_changes_nothing(
    shell_setup: &str,
    first_args: &[&str],
    sabotage: impl FnOnce(&Path),
) -> (Work, Output) {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let mut args = vec!["render", "--config", config.as_str(), "--out", "out"];
    args.extend_from_slice(first_args);
    work.expect(0, &args);
    fs::write(work.out().join("README.md"), "# mine\n").expect("write README");
    sabotage(&work.out());
    let before = work.tree();
    // The change touches every environment, and adds a service (new files, new paths).
    let changed =
        small_changed() + "\n[services.admin]\nkind = \"web\"\napp = \"admin.main:app\"\n";
    let changed = work.config("changed.toml", &changed);
    let output = render_under_sh(&work, shell_setup, &changed, "out");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        work.tree(),
        before,
        "a failed render changed the output directory"
    );
    (work, output)
}

/// `platgen render --config CONFIG --out OUT` run by `sh` after `shell_setup` (limits, traps).
fn render_under_sh(work: &Work, shell_setup: &str, config: &str, out: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{shell_setup} exec '{}' render --config {config} --out {out}",
            env!("CARGO_BIN_EXE_platgen")
        ))
        .current_dir(work.dir.path())
        .env("PLATGEN_CACHE_DIR", work.cache.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs")
}

#[test]
fn a_file_where_a_directory_must_go_fails_cleanly() {
    let (_work, stderr) = failed_render_changes_nothing(&[], |out| {
        let dir = out.join("staging/kubernetes");
        fs::remove_dir_all(&dir).expect("remove dir");
        fs::write(&dir, "not a directory\n").expect("write file");
    });
    assert!(stderr.contains("error[E0501]"), "{stderr}");
}

/// A bug that stops a render with a panic after it staged files: reported as a bug (not as
/// Rust's panic message), exit 2, and the output directory as it was.
#[test]
fn an_internal_error_is_reported_as_a_bug_and_changes_nothing() {
    let (_work, stderr) = failed_render_changes_nothing_under(
        "PLATGEN_TEST_PANIC_AFTER_STAGING=production/kubernetes/admin-deployment.yaml \
         RUST_BACKTRACE=0",
        &[],
        |_| {},
    );
    assert!(
        stderr.starts_with("error: platgen ")
            && stderr.contains(" stopped on an internal error: PLATGEN_TEST_PANIC_AFTER_STAGING")
            && stderr.contains("help: this is a bug in platgen, not in your input"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Ctrl-C while files are being staged: the render stops at its next file, deletes what it
/// staged (no `.platgen-tmp-*` is left in `out/`) and ends by the same signal, so a shell loop
/// of renders stops too. The next render completes the change.
#[cfg(unix)]
#[test]
fn ctrl_c_while_files_are_staged_changes_nothing_and_ends_by_the_signal() {
    let (work, output) = stopped_render_changes_nothing(
        "PLATGEN_TEST_SIGNAL_AFTER_STAGING=production/kubernetes/admin-deployment.yaml",
        &[],
        |_| {},
    );
    assert_stopped_by_sigint(&output);
    // Nothing is left to tidy: the next render of the change writes it whole.
    let changed = ["--config", "changed.toml", "--out", "out"];
    let (stdout, _) = work.expect(0, &[&["render"][..], &changed].concat());
    assert!(stdout.contains(" added, "), "{stdout}");
    // No `.platgen-tmp-*` either: the one file platgen does not own is the helper's README.
    fs::remove_file(work.out().join("README.md")).expect("remove README");
    work.expect(0, &[&["check", "--strict"][..], &changed].concat());
}

/// Ctrl-C while the commit makes the staged files durable, the last moment before it replaces
/// anything: the staged files, the new manifest among them, are deleted.
#[cfg(unix)]
#[test]
fn ctrl_c_before_the_commit_replaces_a_file_changes_nothing() {
    let (_work, output) =
        stopped_render_changes_nothing("PLATGEN_TEST_SIGNAL_BEFORE_COMMIT=1", &[], |_| {});
    assert_stopped_by_sigint(&output);
}

/// The same into an output directory that does not exist yet: neither it nor the hidden tree
/// staged beside it is left.
#[cfg(unix)]
#[test]
fn ctrl_c_before_a_first_render_commits_leaves_no_directory() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let before = top_level(work.dir.path());
    let output = render_under_sh(&work, "PLATGEN_TEST_SIGNAL_BEFORE_COMMIT=1", &config, "out");
    assert_stopped_by_sigint(&output);
    assert_eq!(top_level(work.dir.path()), before);
}

/// Ctrl-C as the commit begins, with nothing to write (only a comment of `platform.toml`
/// changed): the render still ends by the signal, not by saying it was finishing a commit.
#[cfg(unix)]
#[test]
fn ctrl_c_before_a_commit_with_nothing_to_write_ends_by_the_signal() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    let commented = work.config("commented.toml", &format!("{SMALL}\n# a comment\n"));
    let output = render_under_sh(
        &work,
        "PLATGEN_TEST_SIGNAL_BEFORE_COMMIT=1",
        &commented,
        "out",
    );
    assert_stopped_by_sigint(&output);
    assert_eq!(work.tree(), before);
}

/// A render that fails for another reason (a file it does not own in the way) while a signal
/// asks it to stop reports that reason, then ends by the signal all the same.
#[cfg(unix)]
#[test]
fn a_render_failing_while_a_signal_is_pending_reports_it_then_ends_by_the_signal() {
    let (_work, output) =
        stopped_render_changes_nothing("PLATGEN_TEST_SIGNAL_BEFORE_COMMIT=1", &[], |out| {
            // Where the change adds a file.
            fs::write(
                out.join("production/kubernetes/admin-deployment.yaml"),
                "# my own Deployment\n",
            )
            .expect("write");
        });
    use std::os::unix::process::ExitStatusExt as _;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(2),
        "{:?}: {stderr}",
        output.status
    );
    assert!(
        stderr.contains("admin-deployment.yaml exists and was not written by platgen"),
        "{stderr}"
    );
}

/// A signal platgen was started with ignored (`nohup` ignores SIGHUP, a shell SIGINT for a
/// background job) stays ignored: the render goes on and writes everything, silently.
#[cfg(unix)]
#[test]
fn a_signal_ignored_at_start_stays_ignored() {
    let stderr = completed_render_under("trap '' INT && PLATGEN_TEST_SIGNAL_BEFORE_COMMIT=1");
    assert!(stderr.is_empty(), "{stderr}");
}

/// Ctrl-C once files are being replaced: the render finishes (the quickest way back to a
/// consistent output directory), says so, and exits 0.
#[cfg(unix)]
#[test]
fn ctrl_c_while_files_are_replaced_waits_for_the_render_to_finish() {
    let stderr = completed_render_under("PLATGEN_TEST_SIGNAL_WHILE_REPLACING=1");
    assert_eq!(
        stderr,
        "platgen: SIGINT came once files were being replaced; the render was finished first\n"
    );
}

/// A render of a change run by `sh` after `shell_setup` that must complete: exit 0, a summary
/// on stdout, and `out/` exactly what render writes. Its stderr.
#[cfg(unix)]
fn completed_render_under(shell_setup: &str) -> String {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let changed = work.config("changed.toml", &small_changed());
    let output = render_under_sh(&work, shell_setup, &changed, "out");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(String::from_utf8_lossy(&output.stdout).contains(" changed, "));
    work.expect(
        0,
        &["check", "--strict", "--config", &changed, "--out", "out"],
    );
    stderr
}

/// The render ended by SIGINT after saying it wrote nothing.
#[cfg(unix)]
fn assert_stopped_by_sigint(output: &Output) {
    use std::os::unix::process::ExitStatusExt as _;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.signal(),
        Some(2),
        "{:?}: {stderr}",
        output.status
    );
    assert_eq!(
        stderr,
        "platgen: stopped by SIGINT; nothing was written (the output directory is as it was)\n"
    );
}

/// A file where a whole environment's directory goes: one error for it, not one per file.
#[test]
fn a_file_where_an_environment_goes_is_one_error() {
    let (_work, stderr) = failed_render_changes_nothing(&["--env", "production"], |out| {
        fs::write(out.join("staging"), "in the way\n").expect("write");
    });
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
    assert!(
        stderr.contains("error[E0501]: out/staging is not a directory"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
}

/// A link inside out/ (to a directory elsewhere, or dangling) is refused before anything is
/// staged: render would write there, and prune there.
#[cfg(unix)]
#[test]
fn links_inside_the_output_directory_are_refused() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    fs::write(elsewhere.path().join("keep.txt"), "precious\n").expect("write");
    let target = elsewhere.path().to_path_buf();
    let (work, stderr) = failed_render_changes_nothing(&[], |out| {
        fs::rename(out.join("docker"), target.join("docker")).expect("move docker/");
        std::os::unix::fs::symlink(target.join("docker"), out.join("docker")).expect("symlink");
    });
    assert!(
        stderr.contains("error[E0504]: out/docker is a symbolic link"),
        "{stderr}"
    );
    let (_, stderr) = work.expect(2, &["check", "--config", "platform.toml", "--out", "out"]);
    assert!(stderr.contains("out/docker is a symbolic link"), "{stderr}");
    let (_, stderr) = work.expect(2, &["diff", "--config", "platform.toml", "--out", "out"]);
    assert!(stderr.contains("out/docker is a symbolic link"), "{stderr}");

    // A manifest entry under a link cannot make render delete what the link points at.
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    std::os::unix::fs::symlink(elsewhere.path(), work.out().join("evil")).expect("symlink");
    let manifest = work.out().join(".platgen-manifest");
    let mut text = fs::read_to_string(&manifest).expect("manifest");
    let hash = platgen::output::manifest::hash(b"precious\n");
    text.push_str(&format!("{hash}  evil/keep.txt\n"));
    fs::write(&manifest, text).expect("edit manifest");
    let (_, stderr) = work.expect(2, &["render", "--config", &config, "--out", "out"]);
    assert!(stderr.contains("out/evil is a symbolic link"), "{stderr}");
    assert!(
        elsewhere.path().join("keep.txt").exists(),
        "render deleted through a link"
    );
}

/// Links (to a file outside the repository, or to nothing) and folders where files go, a file
/// where a folder goes: problems of out/ like a file in the way, each one line of `check`
/// beside every other problem (exit 1), and in `diff`'s notes (exit 1). `render` refuses them
/// all (exit 2) and changes nothing; no link is ever followed.
#[cfg(unix)]
#[test]
fn links_folders_and_files_in_the_way_are_problems_of_out_not_errors() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let secret = tempfile::tempdir().expect("tempdir");
    fs::write(secret.path().join("secret"), "do not read\n").expect("write");
    let out = work.out();
    let k8s = out.join("production/kubernetes");
    fs::remove_file(k8s.join("api-configmap.yaml")).expect("remove");
    std::os::unix::fs::symlink(secret.path().join("secret"), k8s.join("api-configmap.yaml"))
        .expect("symlink");
    fs::remove_file(k8s.join("api-service.yaml")).expect("remove");
    std::os::unix::fs::symlink("gone.yaml", k8s.join("api-service.yaml")).expect("symlink");
    fs::remove_file(k8s.join("api-pdb.yaml")).expect("remove");
    fs::create_dir(k8s.join("api-pdb.yaml")).expect("mkdir");
    fs::write(k8s.join("api-pdb.yaml/mine.txt"), "mine\n").expect("write");
    fs::remove_dir_all(out.join("staging/prometheus")).expect("remove");
    fs::write(out.join("staging/prometheus"), "mine\n").expect("write");
    fs::write(k8s.join("namespace.yaml"), "edited\n").expect("edit");
    let before = work.tree();

    for args in [&["--no-cache"][..], &["--strict"]] {
        let mut command = vec!["check", "--format", "short", "--config", &config];
        command.extend_from_slice(args);
        let (stdout, stderr) = work.expect(1, &command);
        assert_eq!(
            stdout,
            "out/production/kubernetes/api-configmap.yaml: a symbolic link platgen did not write is in the way\n\
             out/production/kubernetes/api-pdb.yaml: a folder is in the way\n\
             out/production/kubernetes/api-service.yaml: a symbolic link platgen did not write is in the way\n\
             out/production/kubernetes/namespace.yaml: edited by hand (edit platform.toml, then platgen render)\n\
             out/staging/prometheus: a file is in the way of a rendered folder\n",
            "check {args:?}"
        );
        assert!(stderr.is_empty(), "{stderr}");
    }
    let (_, stderr) = work.expect(1, &["check", "--config", &config]);
    assert!(
        stderr.contains("platgen: 1 problem in out: ")
            && stderr.contains("platgen: 4 paths in out in the way of platgen render"),
        "{stderr}"
    );

    let (stdout, _) = work.expect(1, &["diff", "--config", &config]);
    assert!(
        !stdout.contains("do not read"),
        "read through a link: {stdout}"
    );
    for note in [
        "note: out/production/kubernetes/api-configmap.yaml: a symbolic link platgen did not write is in the way",
        "note: out/production/kubernetes/api-pdb.yaml: a folder is in the way",
        "note: out/staging/prometheus: a file is in the way of a rendered folder",
        "render would stop: 4 files not written by platgen in the way.",
        "-edited",
    ] {
        assert!(stdout.contains(note), "{note}: {stdout}");
    }
    // The files below the blocked folder are not listed one by one.
    assert!(!stdout.contains("staging/prometheus/"), "{stdout}");
    let (_, stderr) = work.expect(2, &["render", "--config", &config]);
    assert!(
        stderr.contains("error[E0501]: out/staging/prometheus is not a directory"),
        "{stderr}"
    );
    assert_eq!(work.tree(), before);
    fs::remove_file(out.join("staging/prometheus")).expect("remove");
    let (_, stderr) = work.expect(2, &["render", "--config", &config]);
    assert_eq!(stderr.matches("error[E0504]").count(), 3, "{stderr}");
    assert!(
        stderr.contains("api-configmap.yaml is a symbolic link")
            && stderr.contains("api-pdb.yaml is not a regular file (a folder)")
            && !stderr.contains("warning:"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(secret.path().join("secret")).expect("kept"),
        "do not read\n"
    );

    // A link where a file platgen no longer renders was: in the way of the prune, not followed.
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let dockerfile = work.out().join("docker/Dockerfile.jobs");
    fs::remove_file(&dockerfile).expect("remove");
    std::os::unix::fs::symlink(secret.path().join("secret"), &dockerfile).expect("symlink");
    let without = work.config("without.toml", small_without_jobs());
    let (stdout, _) = work.expect(
        1,
        &[
            "check", "--format", "short", "--config", &without, "--out", "out",
        ],
    );
    assert!(
        stdout.contains(
            "out/docker/Dockerfile.jobs: a symbolic link platgen did not write is in the way\n"
        ),
        "{stdout}"
    );
    work.expect(2, &["render", "--config", &without, "--out", "out"]);
    assert!(fs::symlink_metadata(&dockerfile).is_ok_and(|m| m.is_symlink()));
    assert!(secret.path().join("secret").exists());
}

/// A FIFO where a file goes would block a read forever: it is reported instead.
#[cfg(unix)]
#[test]
fn a_fifo_where_a_file_goes_is_reported_not_read() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let file = work.out().join("docker/Dockerfile.api");
    fs::remove_file(&file).expect("remove");
    let made = Command::new("mkfifo").arg(&file).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no mkfifo");
        return;
    }
    // A problem of out/ to check and diff (exit 1), which render refuses to replace (exit 2).
    let (stdout, _) = work.expect(
        1,
        &[
            "check",
            "--no-cache",
            "--format",
            "short",
            "--config",
            &config,
        ],
    );
    assert_eq!(stdout, "out/docker/Dockerfile.api: a FIFO is in the way\n");
    let (stdout, _) = work.expect(1, &["diff", "--config", &config]);
    assert!(
        stdout.contains("note: out/docker/Dockerfile.api: a FIFO is in the way"),
        "{stdout}"
    );
    let (_, stderr) = work.expect(2, &["render", "--config", &config]);
    assert!(
        stderr.contains("Dockerfile.api is not a regular file (a FIFO)"),
        "{stderr}"
    );
    // Nor is platgen's own journal read when it is a FIFO.
    fs::remove_file(&file).expect("remove");
    work.render(&config);
    let journal = work.out().join(platgen::output::JOURNAL_NAME);
    assert!(
        Command::new("mkfifo")
            .arg(&journal)
            .status()
            .is_ok_and(|s| s.success())
    );
    let (_, stderr) = work.expect(2, &["check", "--config", &config, "--out", "out"]);
    assert!(
        stderr.contains(".platgen-manifest.pending is not a regular file"),
        "{stderr}"
    );
}

/// A read-only directory: only meaningful where permissions bind (not as root).
#[cfg(unix)]
#[test]
fn a_read_only_directory_fails_cleanly() {
    let probe = tempfile::tempdir().expect("tempdir");
    chmod(probe.path(), 0o555);
    let privileged = fs::write(probe.path().join("x"), "").is_ok();
    chmod(probe.path(), 0o755);
    if privileged {
        eprintln!(
            "skipped: permissions do not bind for this user (root); see the other failure tests"
        );
        return;
    }
    let (work, stderr) = failed_render_changes_nothing(&[], |out| {
        chmod(&out.join("production/kubernetes"), 0o555);
    });
    // Writable again, so the temporary directory can be removed.
    chmod(&work.out().join("production/kubernetes"), 0o755);
    assert!(stderr.contains("error[E0501]"), "{stderr}");
}

// ---- diff: formats, colour, exit codes ----

/// SMALL rendered, one file then edited by hand; `work.changed()` writes the changed platform
/// (LOG_LEVEL everywhere).
fn changed_work() -> Work {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    fs::write(
        work.out().join("staging/kubernetes/api-service.yaml"),
        "edited\n",
    )
    .expect("edit");
    work
}

impl Work {
    fn changed(&self) -> String {
        self.config("changed.toml", &small_changed())
    }
}

#[test]
fn diff_stat_lists_counts_per_file() {
    let work = changed_work();
    let changed = work.changed();
    let (stdout, _) = work.expect(1, &["diff", "--config", &changed, "--out", "out", "--stat"]);
    assert!(!stdout.contains("@@"), "--stat printed diffs:\n{stdout}");
    let line = stdout
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("production/kubernetes/api-configmap.yaml ")
        })
        .unwrap_or_else(|| panic!("no stat line:\n{stdout}"));
    assert!(line.ends_with("|  2 +- (changed)"), "{line}");
    assert!(
        stdout.lines().any(|l| l
            .trim_start()
            .starts_with("staging/kubernetes/api-service.yaml ")
            && l.ends_with("(changed, edited by hand)")),
        "{stdout}"
    );
    diff_summary(&stdout);
}

#[test]
fn diff_markdown_is_a_collapsed_pr_comment() {
    let work = changed_work();
    let changed = work.changed();
    let (stdout, _) = work.expect(
        1,
        &[
            "diff", "--config", &changed, "--out", "out", "--format", "markdown",
        ],
    );
    assert!(
        stdout.starts_with("### platgen diff\n\n**0 to add, "),
        "{stdout}"
    );
    assert!(
        stdout.contains("<details>\n<summary><code>production/kubernetes/api-configmap.yaml</code> (changed, +1 −1)</summary>\n\n```diff\n--- a/production/kubernetes/api-configmap.yaml\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("- `~ ConfigMap shop/api-config: data.LOG_LEVEL INFO → WARNING`"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "> out/staging/kubernetes/api-service.yaml was edited by hand: render will overwrite it"
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("<details>").count(),
        stdout.matches("</details>").count()
    );
    let (stdout, _) = work.expect(
        1,
        &[
            "diff", "--config", &changed, "--out", "out", "--format", "markdown", "--stat",
        ],
    );
    assert!(
        stdout.contains("| `production/kubernetes/api-configmap.yaml` | changed | +1 −1 |"),
        "{stdout}"
    );
    assert!(!stdout.contains("<details>"), "{stdout}");
    work.render(&changed);
    let (stdout, _) = work.expect(
        0,
        &[
            "diff", "--config", &changed, "--out", "out", "--format", "markdown",
        ],
    );
    assert_eq!(
        stdout,
        "### platgen diff\n\n**0 to add, 0 to change, 0 to remove.**\n"
    );
}

/// SMALL with `count` more services: a change far larger than a pull-request comment.
fn small_with_services(count: usize) -> String {
    let mut text = SMALL.to_owned();
    for i in 0..count {
        text.push_str(&format!(
            "\n[services.svc{i:03}]\nkind = \"worker\"\ncommand = [\"python\", \"-m\", \"svc{i:03}\"]\n\
             health = {{ command = [\"python\", \"-m\", \"svc{i:03}.health\"] }}\n"
        ));
    }
    text
}

#[test]
fn diff_markdown_of_a_large_change_stays_under_the_comment_limit() {
    let work = Work::new();
    let config = work.config("platform.toml", &small_with_services(150));
    for (mode, said) in [
        (
            None,
            "left out to keep this under 60 KB; run `platgen diff` for them:",
        ),
        (
            Some("--stat"),
            "not listed, to keep this comment under 60 KB",
        ),
    ] {
        let mut args = vec![
            "diff", "--config", &config, "--out", "out", "--format", "markdown",
        ];
        args.extend(mode);
        let (stdout, _) = work.expect(1, &args);
        // GitHub counts characters and refuses more than 65,536; the docs promise under 60 KB.
        assert!(stdout.len() <= 60_000, "{mode:?}: {} bytes", stdout.len());
        assert!(stdout.contains(said), "{mode:?}: {said:?} not in\n{stdout}");
        assert!(stdout.starts_with("### platgen diff\n\n**"), "{stdout}");
    }
}

#[test]
fn diff_shows_hand_edits_and_object_changes() {
    let work = changed_work();
    let changed = work.changed();
    let (stdout, _) = work.expect(1, &["diff", "--config", &changed, "--out", "out"]);
    assert!(
        stdout.starts_with("Kubernetes objects in production:\n  ~ ConfigMap shop/api-config: data.LOG_LEVEL INFO → WARNING\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: out/staging/kubernetes/api-service.yaml was edited by hand: render will overwrite it\n--- a/staging/kubernetes/api-service.yaml\n"),
        "{stdout}"
    );
    // The hand-edited file is not YAML any more: the summary says so rather than guessing.
    assert!(
        stdout.contains("~ Service shop-staging/api: not comparable as YAML"),
        "{stdout}"
    );
}

/// Runs platgen with a pseudo-terminal as stdout (through `script`), `NO_COLOR` as given.
fn run_on_terminal(work: &Work, args: &str, no_color: bool) -> Option<String> {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        return None;
    }
    let mut command = Command::new(script);
    command
        .args(["-qec"])
        .arg(format!("'{}' {args}", env!("CARGO_BIN_EXE_platgen")))
        .arg("/dev/null")
        .current_dir(work.dir.path())
        .env("PLATGEN_CACHE_DIR", work.cache.path())
        .env_remove("NO_COLOR");
    if no_color {
        command.env("NO_COLOR", "1");
    }
    let output = command.output().expect("script runs");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn diff_colours_a_terminal_unless_told_otherwise() {
    let work = changed_work();
    let changed = work.changed();
    let esc = '\u{1b}';
    let args = ["diff", "--config", &changed, "--out", "out"];
    // Piped: no colour, even with NO_COLOR unset.
    let piped = work
        .command(&args)
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&piped.stdout).contains(esc));
    // CLICOLOR_FORCE colours a pipe (a CI log), unless NO_COLOR says otherwise.
    let forced = |no_color: Option<&str>| {
        let mut command = work.command(&args);
        command.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let output = command.output().expect("runs");
        String::from_utf8_lossy(&output.stdout).contains(esc)
    };
    assert!(forced(None), "no colour with CLICOLOR_FORCE=1");
    assert!(!forced(Some("1")), "colour with NO_COLOR=1");
    // --color always wins over a pipe and NO_COLOR; --color never over a terminal.
    let (always, _) = work.expect(1, &[&args[..], &["--color", "always"]].concat());
    assert!(
        always.contains(&format!("{esc}[32m+  LOG_LEVEL: WARNING")),
        "{always}"
    );
    let rest = format!("diff --config {changed} --out out");
    match run_on_terminal(&work, &rest, false) {
        Some(terminal) => {
            assert!(
                terminal.contains(esc),
                "no colour on a terminal:\n{terminal}"
            );
            let without = run_on_terminal(&work, &rest, true).expect("script");
            assert!(
                !without.contains(esc),
                "colour despite NO_COLOR:\n{without}"
            );
            let never =
                run_on_terminal(&work, &format!("{rest} --color never"), false).expect("script");
            assert!(
                !never.contains(esc),
                "colour despite --color never:\n{never}"
            );
        }
        None => eprintln!("skipped the terminal cases: no /usr/bin/script"),
    }
}

#[test]
fn every_command_has_its_exit_codes() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let bad = work.config("bad.toml", &edit(SMALL, "replicas = 2", "replcas = 2"));
    // Invalid input: render and check 1, diff 2 (diff's 1 means "differences").
    for (command, code) in [("render", 1), ("check", 1), ("diff", 2)] {
        let (stdout, stderr) = work.expect(code, &[command, "--config", &bad, "--out", "out"]);
        assert!(stdout.is_empty(), "{command}: {stdout}");
        assert!(stderr.contains("error[E0201]"), "{command}: {stderr}");
        // Only render would have written anything; check and diff never write.
        let summary = stderr.lines().last().unwrap_or_default();
        let expected = if command == "render" {
            "platgen: 1 problem found; nothing was written"
        } else {
            "platgen: 1 problem found"
        };
        assert_eq!(summary, expected, "{command}: {stderr}");
    }
    work.expect(1, &["check", "--config", &config, "--out", "out"]);
    work.expect(1, &["diff", "--config", &config, "--out", "out"]);
    work.render(&config);
    work.expect(0, &["check", "--config", &config, "--out", "out"]);
    work.expect(0, &["diff", "--config", &config, "--out", "out"]);
    // Usage errors.
    work.expect(2, &["diff", "--format", "short"]);
    work.expect(2, &["check", "--format", "markdown"]);
    work.expect(2, &["render", "--strict"]);
    work.expect(2, &["check", "--stat"]);
    work.expect(2, &["diff", "--color", "sometimes"]);
}

// ---- check: strict, manifest ----

#[test]
fn check_strict_reports_files_platgen_does_not_own() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    fs::write(work.out().join("README.md"), "# mine\n").expect("write");
    fs::write(
        work.out().join("staging/kubernetes/.platgen-tmp-Ab12Cd"),
        "half a file",
    )
    .expect("write");
    let (stdout, _) = work.expect(0, &["check", "--config", &config, "--out", "out"]);
    assert!(stdout.contains("are consistent"), "{stdout}");
    let (stdout, _) = work.expect(
        1,
        &[
            "check", "--config", &config, "--out", "out", "--strict", "--format", "short",
        ],
    );
    assert_eq!(
        stdout,
        "out/README.md: unowned (not written by platgen)\n\
         out/staging/kubernetes/.platgen-tmp-Ab12Cd: left by an interrupted render (run platgen render)\n"
    );
    // render removes what an interrupted render left, and never the user's file.
    work.render(&config);
    let (stdout, _) = work.expect(
        1,
        &[
            "check", "--config", &config, "--out", "out", "--strict", "--format", "short",
        ],
    );
    assert_eq!(stdout, "out/README.md: unowned (not written by platgen)\n");
    assert!(work.out().join("README.md").exists());
    // The summary does not promise that render fixes what only the user can.
    let (_, stderr) = work.expect(
        1,
        &["check", "--config", &config, "--out", "out", "--strict"],
    );
    assert_eq!(
        stderr,
        "platgen: 1 file in out not written by platgen (--strict): move or delete it\n"
    );
}

/// out/ as a git checkout of its own (`cd out && git init`, or a submodule's `.git` file):
/// git's data is never reported by `--strict`, at any level. A link to a folder is reported
/// as itself, not followed, unless rendered files go through it.
#[cfg(unix)]
#[test]
fn check_strict_ignores_git_and_reports_linked_folders_as_themselves() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let out = work.out();
    for (path, text) in [
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".git/objects/ab/cdef0123", "blob"),
        ("production/.git", "gitdir: ../../.git/modules/production\n"),
        ("staging/kubernetes/.git/config", "[core]\n"),
    ] {
        let file = out.join(path);
        fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs::write(file, text).expect("write");
    }
    // A folder of the user's linked in: reported as one entry, its files not listed.
    fs::create_dir_all(work.path("notes")).expect("mkdir");
    fs::write(work.path("notes/a.md"), "mine\n").expect("write");
    std::os::unix::fs::symlink("../notes", out.join("notes")).expect("symlink");
    // A rendered folder placed elsewhere in the repository through a link: not unowned.
    fs::rename(out.join("docker"), work.path("docker")).expect("move");
    std::os::unix::fs::symlink("../docker", out.join("docker")).expect("symlink");
    work.expect(0, &["check", "--config", &config]);
    for cache in [&[][..], &["--no-cache"]] {
        let mut args = vec![
            "check", "--strict", "--format", "short", "--config", &config,
        ];
        args.extend_from_slice(cache);
        let (stdout, _) = work.expect(1, &args);
        assert_eq!(stdout, "out/notes: unowned (not written by platgen)\n");
    }
    fs::remove_file(out.join("notes")).expect("remove");
    work.expect(0, &["check", "--strict", "--config", &config]);
}

/// A file platgen wrote and no longer renders is owned: `--strict` reports it once, as no longer
/// rendered, never also as unowned.
#[test]
fn check_strict_reports_a_file_no_longer_rendered_once() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let without = work.config("without-jobs.toml", small_without_jobs());
    for cache in [&[][..], &["--no-cache"][..]] {
        let args = [
            &[
                "check", "--config", &without, "--out", "out", "--strict", "--format", "short",
            ][..],
            cache,
        ]
        .concat();
        let (stdout, _) = work.expect(1, &args);
        assert!(
            stdout.contains(
                "out/staging/kubernetes/jobs-deployment.yaml: no longer rendered (run platgen render)\n"
            ),
            "{stdout}"
        );
        assert!(!stdout.contains("unowned"), "{stdout}");
    }
}

/// Temporary files an interrupted render of another platform file left where this one writes
/// nothing (a `qa` environment since removed) go too, with the directories they leave empty:
/// what `check --strict` says render fixes, it fixes.
#[test]
fn a_render_removes_leftovers_wherever_they_are() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let qa = work.out().join("qa/kubernetes");
    fs::create_dir_all(&qa).expect("mkdir");
    fs::write(qa.join(".platgen-tmp-Xy12Zw"), "half a file").expect("write");
    let strict = [
        "check", "--config", &config, "--out", "out", "--strict", "--format", "short",
    ];
    let (stdout, _) = work.expect(1, &strict);
    assert!(
        stdout.contains("left by an interrupted render (run platgen render)"),
        "{stdout}"
    );
    work.render(&config);
    work.expect(0, &strict);
    assert!(
        !work.out().join("qa").exists(),
        "the emptied directories go too"
    );
}

#[test]
fn a_lost_manifest_is_stale_and_render_restores_it() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let manifest = work.out().join(".platgen-manifest");
    let text = fs::read(&manifest).expect("manifest");
    fs::remove_file(&manifest).expect("remove");
    let (stdout, _) = work.expect(
        1,
        &[
            "check", "--config", &config, "--out", "out", "--format", "short",
        ],
    );
    assert_eq!(
        stdout,
        "out/.platgen-manifest: stale (run platgen render)\n"
    );
    let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out"]);
    assert!(
        stdout.contains("note: out/.platgen-manifest is out of date: render will rewrite it"),
        "{stdout}"
    );
    let stdout = work.render(&config);
    assert!(
        stdout.contains(": 0 added, 0 changed, 0 removed,"),
        "{stdout}"
    );
    assert_eq!(fs::read(&manifest).expect("manifest"), text);
}

/// An output directory that cannot be created is one error, not one per file or directory.
#[cfg(target_os = "linux")]
#[test]
fn an_output_directory_that_cannot_be_created_is_reported_once() {
    let work = Work::new();
    let config = work.config("platform.toml", &reference());
    // Nothing can be created in /proc, not even by root.
    let (stdout, stderr) = work.expect(2, &["render", "--config", &config, "--out", "/proc/x"]);
    assert_eq!(stdout, "");
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
    assert!(
        stderr.contains("error[E0501]: cannot create the output directory /proc/x: "),
        "{stderr}"
    );
    assert!(!Path::new("/proc/x").exists());
}

#[test]
fn a_junk_line_in_the_manifest_is_reported_and_render_rewrites_it() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let manifest = work.out().join(".platgen-manifest");
    let clean = fs::read_to_string(&manifest).expect("manifest");
    let lines = clean.lines().count();
    let victim = work.path("victim.txt");
    fs::write(&victim, "precious\n").expect("write victim");
    let mine = work.out().join("mine.txt");
    fs::write(&mine, "mine\n").expect("write own file");
    let hash = platgen::output::manifest::hash(b"precious\n");
    for (junk, said) in [
        (
            "not a manifest line".to_owned(),
            format!(
                "line {} is not `sha256  path`: \"not a manifest line\"",
                lines + 1
            ),
        ),
        (
            format!("{hash}  ../victim.txt"),
            format!(
                "line {} names a path outside the output directory: \"../victim.txt\"",
                lines + 1
            ),
        ),
        // A bad hash: the path is not platgen's, so render never prunes it.
        (
            "0123  mine.txt".to_owned(),
            format!(
                "line {} is not `sha256  path`: \"0123  mine.txt\"",
                lines + 1
            ),
        ),
    ] {
        fs::write(&manifest, format!("{clean}{junk}\n")).expect("edit manifest");
        // Right after a render: the up-to-date cache must not vouch for the manifest either.
        let (stdout, _) = work.expect(
            1,
            &[
                "check", "--config", &config, "--out", "out", "--format", "short",
            ],
        );
        assert_eq!(
            stdout,
            format!("out/.platgen-manifest: {said} (run platgen render, which rewrites it)\n")
        );
        let (stdout, _) = work.expect(1, &["diff", "--config", &config, "--out", "out"]);
        assert!(
            stdout.contains(&format!(
                "note: out/.platgen-manifest: {said}; render will rewrite it"
            )),
            "{stdout}"
        );
        let (stdout, stderr) = work.expect(0, &["render", "--config", &config, "--out", "out"]);
        assert!(
            stderr.contains(&format!(
                "warning: out/.platgen-manifest: {said}; platgen is rewriting it"
            )),
            "{stderr}"
        );
        assert!(
            stdout.contains(": 0 added, 0 changed, 0 removed,"),
            "{stdout}"
        );
        // Exactly what a fresh render writes; nothing deleted, inside out/ or outside it.
        assert_eq!(fs::read_to_string(&manifest).expect("manifest"), clean);
        assert!(
            victim.exists() && mine.exists(),
            "render acted on a junk line"
        );
        work.expect(0, &["check", "--config", &config, "--out", "out"]);
    }
}

/// A full disk, as far as platgen can tell: a file-size limit makes every write past 2 KiB fail
/// (EFBIG, the signal ignored), so some files stage and others do not. The staged ones must go.
#[cfg(unix)]
#[test]
fn a_full_disk_fails_cleanly() {
    let (_work, stderr) =
        failed_render_changes_nothing_under("ulimit -f 4 && trap '' XFSZ &&", &[], |_| {});
    assert!(stderr.contains("error[E0501]: cannot write"), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
}

/// Makes a directory immutable (`chattr +i`): read-only even for root. Undone on drop.
struct Immutable(PathBuf);

impl Immutable {
    fn set(dir: &Path) -> Option<Self> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// A read-only subdirectory that binds even as root: an immutable one.
#[cfg(unix)]
#[test]
fn an_immutable_directory_fails_cleanly() {
    let mut guard = None;
    let (_work, stderr) = failed_render_changes_nothing(&[], |out| {
        guard = Immutable::set(&out.join("staging/kubernetes"));
    });
    let Some(_guard) = guard else {
        eprintln!("skipped: chattr +i is not available here (filesystem or capability)");
        return;
    };
    // One cause, said once: the folder, with how many files it stopped, and no name of a
    // temporary file of platgen's.
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "error[E0501]: cannot create files in out/staging/kubernetes: Operation not permitted"
        ),
        "{stderr}"
    );
    let count = stderr
        .split("help: ")
        .nth(1)
        .and_then(|help| help.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    assert!(count.is_some_and(|n| n > 1), "{stderr}");
    assert!(
        stderr.contains(" files to write there; nothing was changed"),
        "{stderr}"
    );
    assert!(!stderr.contains(".platgen-tmp-"), "{stderr}");
}

/// A stale file that cannot be pruned (it is immutable) fails the render before any file is
/// replaced, and the stale files moved aside before it are put back: out/ is as it was.
#[cfg(unix)]
#[test]
fn a_prune_that_cannot_happen_changes_nothing() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = work.tree();
    let changed = work.config("changed.toml", small_without_jobs());
    // The last of the stale files: every other one is moved aside before it fails.
    let last = "staging/kubernetes/jobs-serviceaccount.yaml";
    let stale: Vec<&String> = before.keys().filter(|p| p.contains("jobs")).collect();
    assert!(
        stale.len() > 5 && stale.last().is_some_and(|p| *p == last),
        "{stale:?}"
    );
    let Some(guard) = Immutable::set(&work.out().join(last)) else {
        eprintln!("skipped: chattr +i is not available here (filesystem or capability)");
        return;
    };
    let (_, stderr) = work.expect(2, &["render", "--config", &changed, "--out", "out"]);
    drop(guard);
    assert!(
        stderr.contains(&format!("error[E0501]: cannot remove stale out/{last}")),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        work.tree(),
        before,
        "a failed prune changed the output directory"
    );
    work.expect(0, &["check", "--config", &config, "--out", "out"]);
    work.render(&changed);
    work.expect(
        0,
        &["check", "--strict", "--config", &changed, "--out", "out"],
    );
}

/// A commit killed among its renames leaves some new files in place and the old manifest: the
/// journal written before the first rename keeps them platgen's. `check` says what happened,
/// and a render of either version completes without calling anything edited by hand or in
/// the way.
#[test]
fn a_commit_interrupted_among_its_renames_is_recovered() {
    let work = Work::new();
    let changed =
        small_changed() + "\n[services.admin]\nkind = \"web\"\napp = \"admin.main:app\"\n";
    let changed = work.config("changed.toml", &changed);
    work.expect(0, &["render", "--config", &changed, "--out", "new"]);
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let new = tree(&work.path("new"));
    let old = work.tree();
    // Half of the new render's files renamed into place (every other one), then the kill.
    let mut journal = String::new();
    for (i, (path, entry)) in new.iter().enumerate() {
        let Entry::File(bytes, _) = entry else {
            continue;
        };
        if path == ".platgen-manifest" || old.get(path) == Some(entry) {
            continue;
        }
        journal.push_str(&format!(
            "{}  {path}\n",
            platgen::output::manifest::hash(bytes)
        ));
        if i % 2 == 0 {
            let target = work.out().join(path);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs::write(target, bytes).expect("write");
        }
    }
    assert!(
        journal.contains("docker/Dockerfile.admin"),
        "the change adds files"
    );
    fs::write(work.out().join(platgen::output::JOURNAL_NAME), &journal).expect("journal");
    let interrupted = work.tree();

    let (stdout, _) = work.expect(
        1,
        &[
            "check", "--config", &config, "--out", "out", "--format", "short",
        ],
    );
    assert!(
        stdout.contains("out/.platgen-manifest.pending: a render was interrupted"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("edited by hand") && !stdout.contains("in the way"),
        "{stdout}"
    );
    let (stdout, _) = work.expect(1, &["diff", "--config", &changed, "--out", "out"]);
    assert!(stdout.contains("was interrupted"), "{stdout}");

    for version in [&config, &changed] {
        let out = work.path("out");
        fs::remove_dir_all(&out).expect("reset");
        for (path, entry) in &interrupted {
            match entry {
                Entry::Dir => fs::create_dir_all(out.join(path)).expect("mkdir"),
                Entry::File(bytes, executable) => {
                    fs::create_dir_all(out.join(path).parent().expect("parent")).expect("mkdir");
                    fs::write(out.join(path), bytes).expect("write");
                    #[cfg(unix)]
                    if *executable {
                        chmod(&out.join(path), 0o755);
                    }
                }
                Entry::Symlink(_) => unreachable!("no links in a render"),
            }
        }
        let (stdout, stderr) = work.expect(0, &["render", "--config", version, "--out", "out"]);
        assert!(!stderr.contains("edited by hand"), "{stderr}");
        assert!(!stdout.contains("edited by hand"), "{stdout}");
        work.expect(
            0,
            &["check", "--strict", "--config", version, "--out", "out"],
        );
        let want = if version == &changed { &new } else { &old };
        assert_eq!(
            &work.tree(),
            want,
            "render of {version} completed the interrupted one"
        );
    }
}

/// Without `--out`, the output directory is the platform's `output_dir`: where its compose
/// files and workflows look for the rendered files.
#[test]
fn the_default_output_directory_is_the_declared_one() {
    let work = Work::new();
    let declared = edit(
        SMALL,
        "[platform]\n",
        "[platform]\noutput_dir = \"deploy/generated\"\n",
    );
    work.config("platform.toml", &declared);
    let (stdout, _) = work.expect(0, &["render"]);
    assert!(stdout.contains("files in deploy/generated:"), "{stdout}");
    assert!(!work.out().exists());
    let ci = fs::read_to_string(work.path("deploy/generated/.github/workflows/ci.yml"))
        .expect("ci workflow");
    assert!(
        ci.contains("deploy/generated/docker/Dockerfile.api"),
        "{ci}"
    );
    work.expect(0, &["check"]);
    work.expect(0, &["diff"]);
    // --out still wins.
    work.expect(0, &["render", "--out", "elsewhere"]);
    assert!(work.path("elsewhere/.platgen-manifest").exists());
    // From another directory, the default is still beside the platform file.
    fs::create_dir(work.path("sub")).expect("mkdir");
    let from_sub = work
        .command(&["check", "--config", "../platform.toml"])
        .current_dir(work.path("sub"))
        .output()
        .expect("platgen runs");
    assert!(
        from_sub.status.success(),
        "{}",
        String::from_utf8_lossy(&from_sub.stderr)
    );
}

#[path = "../benches/platgen/generate.rs"]
mod generate;

/// Starts `platgen ARGS` in the work directory and sends it `signal` after `delay` (SIGKILL
/// when `None`); how it ended.
#[cfg(unix)]
fn signal_after(
    work: &Work,
    args: &[&str],
    delay: std::time::Duration,
    signal: Option<&str>,
) -> std::process::ExitStatus {
    let mut child = work
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("platgen runs");
    std::thread::sleep(delay);
    match signal {
        None => {
            let _ = child.kill();
        }
        Some(signal) => {
            // The shell's own `kill`: a minimal machine may have no kill(1) program.
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!("kill -s {signal} {}", child.id()))
                .status();
        }
    }
    child.wait().expect("platgen ends")
}

/// A render killed at any moment leaves every file wholly old or wholly new (plus, possibly,
/// `.platgen-tmp-*` files), and the next render completes it. The kill time is bisected towards
/// the moment files start to change (a kill that left only old files was early, one that left
/// new files late), so kills land while files are staged and renamed; wherever each lands, the
/// property must hold.
#[cfg(unix)]
#[test]
fn a_killed_render_leaves_every_file_wholly_old_or_wholly_new() {
    signalled_renders(None, 8);
}

/// A render sent SIGTERM at any moment (bisected as above) either stops before it replaces a
/// file, deleting what it staged, and ends by the signal, or finishes: the output directory is
/// wholly old or wholly new, never a mix, and never holds a `.platgen-tmp-*` file.
#[cfg(unix)]
#[test]
fn a_terminated_render_changes_nothing_or_finishes() {
    signalled_renders(Some("TERM"), 6);
}

/// `steps` renders of a change, each sent `signal` (SIGKILL when `None`) at a moment bisected
/// towards the one files start to change; see the two tests above.
#[cfg(unix)]
fn signalled_renders(signal: Option<&str>, steps: u32) {
    use std::os::unix::process::ExitStatusExt as _;
    let work = Work::new();
    let platform = |variant| {
        let text = generate::platform(&reference(), 24, variant);
        // Every ConfigMap and Deployment changes too, so most of the directory is rewritten.
        let level = if variant == 0 { "INFO" } else { "WARNING" };
        let version = if variant == 0 { "v1.0.0" } else { "v1.0.1" };
        text.replacen(
            "LOG_LEVEL = \"INFO\"",
            &format!("LOG_LEVEL = \"{level}\""),
            1,
        )
        .replacen(
            "version = \"v1.0.0\"",
            &format!("version = \"{version}\""),
            1,
        )
    };
    let old_config = work.config("old.toml", &platform(0));
    let new_config = work.config("new.toml", &platform(1));
    let render = |config: &str| work.render(config);
    let snapshot = |config: &str| {
        let other = Work::new();
        fs::copy(work.path(config), other.path("p.toml")).expect("copy");
        other.render("p.toml");
        other.tree()
    };
    let (old, new) = (snapshot(&old_config), snapshot(&new_config));
    assert_ne!(old, new);
    render(&old_config);
    let start = std::time::Instant::now();
    render(&new_config);
    let full = start.elapsed();
    let (mut early, mut late) = (std::time::Duration::ZERO, full * 3 / 2);
    for step in 0..steps {
        render(&old_config);
        let status = signal_after(
            &work,
            &["render", "--config", &new_config, "--out", "out"],
            (early + late) / 2,
            signal,
        );
        let (mut was_old, mut is_new, mut temporary) = (0, 0, 0);
        for (path, entry) in work.tree() {
            let name = path.rsplit('/').next().unwrap_or(&path);
            if name.starts_with(".platgen-tmp-") {
                temporary += 1;
                continue;
            }
            if matches!(entry, Entry::Dir) || old.get(&path) == new.get(&path) {
                continue;
            }
            if old.get(&path) == Some(&entry) {
                was_old += 1;
            } else if new.get(&path) == Some(&entry) {
                is_new += 1;
            } else {
                panic!("after a kill at step {step}, {path} is neither the old nor the new file");
            }
        }
        // Which phase the kill hit (all old: before the renames; both: during them).
        eprintln!(
            "{} {step}: {was_old} changed files old, {is_new} new, {temporary} temporary ({status})",
            signal.unwrap_or("KILL")
        );
        if signal.is_some() {
            assert_eq!(temporary, 0, "step {step}: staged files left");
            if is_new == 0 {
                assert_eq!(status.signal(), Some(15), "step {step}: {status}");
            } else {
                assert_eq!(was_old, 0, "step {step}: stopped among the renames");
                assert!(status.success(), "step {step}: finished, yet {status}");
            }
        }
        if is_new == 0 {
            early = (early + late) / 2;
        } else {
            late = (early + late) / 2;
        }
        render(&new_config);
        assert_eq!(
            work.tree(),
            new,
            "the render after a kill did not complete it"
        );
    }
}

// ---- completions and man page document the flags ----

#[test]
fn completions_and_man_page_know_every_flag() {
    let work = Work::new();
    for shell in ["bash", "zsh", "fish"] {
        let (stdout, _) = work.expect(0, &["completions", shell]);
        // fish spells options `-l strict`, the others `--strict`.
        for word in [
            "check", "diff", "strict", "stat", "markdown", "color", "env",
        ] {
            assert!(stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let (help, _) = work.expect(0, &["diff", "--help"]);
    assert!(
        help.contains("Exit codes:\n  0  no difference\n  1  there are differences"),
        "{help}"
    );
}

/// The subcommands `platgen --help` lists (without clap's `help`).
fn subcommands(work: &Work) -> Vec<String> {
    let (help, _) = work.expect(0, &["--help"]);
    let listed = help
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a Commands: section");
    let names: Vec<String> = listed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 6, "{help}");
    names
}

/// The long options `platgen ARGS --help` lists.
fn long_options(work: &Work, args: &[&str]) -> Vec<String> {
    let mut args = args.to_vec();
    args.push("--help");
    let (help, _) = work.expect(0, &args);
    help.lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| {
            line.split([' ', ','])
                .find(|word| word.starts_with("--"))
                .map(str::to_owned)
        })
        .collect()
}

/// The `name(1)` pages a man page refers to.
fn references(roff: &str) -> Vec<String> {
    let plain = roff
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\-", "-");
    let mut found: Vec<String> = plain
        .split("(1)")
        .filter_map(|before| before.rsplit([' ', '\n']).next())
        .filter(|name| name.starts_with("platgen"))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn man_pages_document_every_option_and_exist_for_every_reference() {
    let work = Work::new();
    let commands = subcommands(&work);
    let (top, _) = work.expect(0, &["man"]);
    assert!(
        top.starts_with(".ie") && top.contains("\n.TH platgen 1 "),
        "{top}"
    );
    let mut pages = vec![("platgen".to_owned(), top)];
    for command in &commands {
        let (page, _) = work.expect(0, &["man", command]);
        assert!(
            page.contains(&format!("\n.TH platgen-{command} 1 ")),
            "{page}"
        );
        // Every option the command's --help lists, as roff writes it (`\-\-env`).
        for option in long_options(&work, &[command]) {
            let roff = format!("\\fB{}\\fR", option.replace('-', "\\-"));
            assert!(page.contains(&roff), "platgen-{command}(1) lacks {option}");
        }
        pages.push((format!("platgen-{command}"), page));
    }
    for option in [
        "--env",
        "--out",
        "--config",
        "--strict",
        "--stat",
        "--format",
        "--color",
        "--no-cache",
    ] {
        let roff = format!("\\fB{}\\fR", option.replace('-', "\\-"));
        assert!(
            pages.iter().any(|(_, page)| page.contains(&roff)),
            "no page has {option}"
        );
    }
    // Every page referred to is one `platgen man` prints, and every page is referred to.
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    for (name, page) in &pages {
        let referred = references(page);
        for reference in &referred {
            assert!(
                names.contains(&reference.as_str()),
                "{name}(1) refers to {reference}(1)"
            );
        }
        let others = names.iter().filter(|n| *n != name);
        for other in others {
            assert!(
                referred.iter().any(|r| r == other),
                "{name}(1) does not refer to {other}(1)"
            );
        }
    }
    work.expect(2, &["man", "help"]);
}

#[test]
fn exit_codes_are_a_list_that_survives_man_formatting() {
    let work = Work::new();
    let (top, _) = work.expect(0, &["man"]);
    // Each code a tagged paragraph; each command's meaning on a line of its own.
    assert!(
        top.contains(
            "\n.SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n\\fBrender\\fR: written\n.br\n\\fBcheck\\fR: "
        ),
        "{top}"
    );
    assert!(
        !top.contains("Exit codes:"),
        "the --help text is not the man page's: {top}"
    );
    let (diff, _) = work.expect(0, &["man", "diff"]);
    assert!(
        diff.contains("\n.SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\nno difference\n.TP\n\\fB1\\fR\n"),
        "{diff}"
    );
    // As a formatter lays it out, when there is one (groff, as man -l uses).
    let groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let Ok(mut groff) = groff else { return };
    std::io::Write::write_all(&mut groff.stdin.take().expect("stdin"), top.as_bytes())
        .expect("write");
    let output = groff.wait_with_output().expect("groff");
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for expected in [
        "0      render: written",
        "check: the output directory is exactly what render writes",
        "diff: no difference",
        "check: usage or I/O error",
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} is not a line of:\n{text}"
        );
    }
    let render_2 = lines.iter().position(|l| l.starts_with("2      render:"));
    let check_2 = lines.iter().position(|l| *l == "check: usage or I/O error");
    assert!(render_2.is_some() && render_2 < check_2, "{text}");
}

/// Files are staged as they are rendered: a template that fails once others were staged must
/// still leave no trace — no staged file, no directory made for one.
#[test]
fn a_render_that_fails_after_staging_leaves_no_trace() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let broken = work.path("tpl/kubernetes/networkpolicy.yaml");
    fs::create_dir_all(broken.parent().expect("parent")).expect("mkdir");
    fs::write(&broken, "{{ no_such_value.field }}\n").expect("write template");
    let changed = work.config(
        "changed.toml",
        &(small_changed() + "\n[services.admin]\nkind = \"web\"\napp = \"admin.main:app\"\n"),
    );
    for out in ["out", "fresh"] {
        let beside = top_level(work.dir.path());
        let before = work.path(out).exists().then(|| tree(&work.path(out)));
        let output = work.run(&[
            "render",
            "--config",
            &changed,
            "--out",
            out,
            "--templates",
            "tpl",
        ]);
        assert_eq!(output.status.code(), Some(1), "{out}: a template error");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error[E0402]"), "{stderr}");
        // One diagnostic for the template, naming what was undefined, not one per file.
        assert_eq!(stderr.matches("error[E0402]").count(), 1, "{stderr}");
        assert!(stderr.contains("`no_such_value` is undefined"), "{stderr}");
        // At its place in the override, not in platform.toml.
        assert!(
            stderr.contains("--> tpl/kubernetes/networkpolicy.yaml:1:4\n"),
            "{stderr}"
        );
        assert!(
            stderr.contains("help: fix the --templates override tpl/kubernetes/networkpolicy.yaml"),
            "{stderr}"
        );
        let after = work.path(out).exists().then(|| tree(&work.path(out)));
        assert_eq!(before, after, "{out}: left exactly as it was");
        assert_eq!(
            beside,
            top_level(work.dir.path()),
            "{out}: nothing left beside it"
        );
    }
    // `check --format short` names the override's line and column, for an editor to jump to.
    let output = work.run(&[
        "check",
        "--config",
        &changed,
        "--templates",
        "tpl",
        "--format",
        "short",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("tpl/kubernetes/networkpolicy.yaml:1:4: error[E0402]: rendering "),
        "{stderr}"
    );
}

/// `templates_dir` in the platform file is the default `--templates DIR`, relative to the
/// platform file's folder: render, check and diff use it without being told (as the generated
/// CI's `platgen check` and the pre-commit hooks run), and `--templates` still wins.
#[test]
fn a_declared_templates_dir_is_used_by_every_command() {
    let work = Work::new();
    fs::create_dir_all(work.path("repo/tpl/kubernetes")).expect("mkdir");
    fs::create_dir_all(work.path("other/kubernetes")).expect("mkdir");
    let namespace = |label: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{{{ env.namespace }}}}\n  \
             labels:\n    team: {label}\n"
        )
    };
    fs::write(
        work.path("repo/tpl/kubernetes/namespace.yaml"),
        namespace("declared"),
    )
    .expect("write override");
    fs::write(
        work.path("other/kubernetes/namespace.yaml"),
        namespace("given"),
    )
    .expect("write override");
    let declared = SMALL.replacen("[platform]\n", "[platform]\ntemplates_dir = \"tpl\"\n", 1);
    assert_ne!(declared, SMALL);
    fs::write(work.path("repo/platform.toml"), &declared).expect("write config");
    let config = "repo/platform.toml";
    work.expect(0, &["render", "--config", config]);
    let namespace_file = work.path("repo/out/staging/kubernetes/namespace.yaml");
    let rendered = fs::read_to_string(&namespace_file).expect("rendered");
    assert!(rendered.contains("team: declared"), "{rendered}");
    work.expect(0, &["check", "--config", config]);
    work.expect(0, &["diff", "--config", config]);
    // The command line's wins: against it, out/ is stale.
    let given = ["--config", config, "--templates", "other"];
    let (stdout, _) = work.expect(1, &[&["diff"][..], &given].concat());
    assert!(stdout.contains("+    team: given"), "{stdout}");
    work.expect(1, &[&["check"][..], &given].concat());
    // A declared folder that is not there is said to be so, and nothing is written.
    fs::rename(work.path("repo/tpl"), work.path("repo/gone")).expect("move tpl");
    let before = tree(&work.path("repo/out"));
    let (_, stderr) = work.expect(2, &["render", "--config", config]);
    assert!(stderr.contains("error[E0406]"), "{stderr}");
    assert!(stderr.contains("tpl does not exist"), "{stderr}");
    assert!(
        stderr.contains("`templates_dir` under [platform]"),
        "{stderr}"
    );
    assert_eq!(tree(&work.path("repo/out")), before);
    // One outside the repository is not read: the schema rejects it, at its place.
    let outside = declared.replacen("templates_dir = \"tpl\"", "templates_dir = \"../other\"", 1);
    fs::write(work.path("repo/platform.toml"), outside).expect("write config");
    let (_, stderr) = work.expect(1, &["render", "--config", config]);
    assert!(stderr.contains("platform.templates_dir"), "{stderr}");
    assert!(stderr.contains("--> repo/platform.toml:2:"), "{stderr}");
    assert_eq!(tree(&work.path("repo/out")), before);
}

/// An override that writes YAML no parser accepts is caught before anything is written, even
/// where it looks like the escapes platgen's own formatter writes (`\x41` is one; `\x+1` is
/// not YAML, though Rust's `from_str_radix` would read its digits).
#[test]
fn an_override_writing_broken_yaml_is_caught_before_writing() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let before = tree(&work.out());
    let override_ = work.path("tpl/kubernetes/namespace.yaml");
    fs::create_dir_all(override_.parent().expect("parent")).expect("mkdir");
    // Each broken body with the line and column (in the rendered file, below its header) the
    // parser names.
    for (body, broken) in [
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"\\x+1\"\n",
            Some("5:9"),
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"a\\tb\n",
            Some("5:9"),
        ),
        // One key twice: `0x1` is the number 1.
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    1: a\n    0x1: b\n",
            Some("8:5"),
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"\\x41\"\n",
            None,
        ),
    ] {
        fs::write(&override_, body).expect("write template");
        let output = work.run(&["render", "--config", &config, "--templates", "tpl"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let Some(place) = broken else {
            assert_eq!(output.status.code(), Some(0), "{body}: {stderr}");
            continue;
        };
        assert_eq!(output.status.code(), Some(1), "{body}: {stderr}");
        // One diagnostic for the template's two files, at the place in the first, as rendered.
        assert_eq!(stderr.matches("error[").count(), 1, "{body}: {stderr}");
        assert!(
            stderr.contains(
                "error[E0403]: rendered staging/kubernetes/namespace.yaml and 1 more file \
                 from template kubernetes/namespace.yaml are broken: "
            ),
            "{body}: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "--> <rendered>/staging/kubernetes/namespace.yaml:{place}\n"
            )),
            "{body}: {stderr}"
        );
        assert!(
            stderr.contains(
                "help: fix the --templates override tpl/kubernetes/namespace.yaml, or delete it"
            ),
            "{body}: {stderr}"
        );
        assert!(!stderr.contains("DuplicateKeyPolicy"), "{body}: {stderr}");
        assert_eq!(tree(&work.out()), before, "{body}: out/ left as it was");
    }
}

/// `PLATGEN_TIMINGS=1` gives the rendering threads' total over every file, then names the
/// templates whose files took longest to build, with how many files each built; without it
/// nothing of the kind is printed.
#[test]
fn timings_name_the_costliest_templates() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let output = work
        .command(&["render", "--config", &config, "--no-cache"])
        .env("PLATGEN_TIMINGS", "1")
        .output()
        .expect("platgen runs");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let stage = lines
        .iter()
        .position(|l| l.starts_with("platgen: render, verify, compare "))
        .expect("the render stage's line");
    let mut templates: Vec<&str> = lines[stage + 1..]
        .iter()
        .copied()
        .take_while(|l| l.starts_with("platgen:   "))
        .collect();
    assert!(!templates.is_empty(), "no timing lines:\n{stderr}");
    let total = templates.remove(0);
    let written = tree(&work.out());
    let rendered = files(&written).len() - 1; // every file but the manifest
    assert!(
        total.starts_with(&format!("platgen:   every template: {rendered} files, ")),
        "{total}\n{stderr}"
    );
    let ms = |line: &str| -> f64 {
        let (_, time) = line.rsplit_once(", ").expect("files, time");
        time.trim_end_matches(" ms").parse().expect("milliseconds")
    };
    assert!(
        templates.iter().all(|line| ms(line) <= ms(total)),
        "no template takes longer than all of them:\n{stderr}"
    );
    assert!(
        (1..=8).contains(&templates.len()),
        "{} template lines:\n{stderr}",
        templates.len()
    );
    for line in &templates {
        let (template, figures) = line["platgen:   ".len()..]
            .split_once(": ")
            .expect("template: figures");
        assert!(is_template(template), "{line}");
        let (files, time) = figures.split_once(", ").expect("files, time");
        let files: usize = files
            .trim_end_matches(" files")
            .trim_end_matches(" file")
            .parse()
            .expect("a count");
        assert!(files >= 1, "{line}");
        assert!(time.ends_with(" ms"), "{line}");
    }
    let (_, stderr) = work.expect(0, &["render", "--config", &config, "--no-cache"]);
    assert!(!stderr.contains("platgen:   "), "{stderr}");
}

/// Whether `name` is one of platgen's templates.
fn is_template(name: &str) -> bool {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(name)
        .is_file()
}

/// A render waits while another platgen holds the output directory, says so, and goes on
/// once it is free; a check waits for a render in the same way.
#[cfg(unix)]
#[test]
fn a_second_run_waits_for_the_output_directory() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    for (held, command) in [
        ("exclusive", "render"),
        ("exclusive", "check"),
        ("shared", "render"),
    ] {
        let holder = fs::File::open(work.out()).expect("open out/");
        if held == "exclusive" {
            holder.lock().expect("lock");
        } else {
            holder.lock_shared().expect("lock");
        }
        let mut child = work
            .command(&[command, "--config", &config])
            .env("PLATGEN_CACHE", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("platgen runs");
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(
            child.try_wait().expect("wait").is_none(),
            "{command} went on while out/ was held ({held})"
        );
        drop(holder);
        let output = child.wait_with_output().expect("platgen ends");
        assert_eq!(output.status.code(), Some(0), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("platgen: waiting for another platgen run on out to finish"),
            "{stderr}"
        );
    }
}

/// Renders of two environments into the same output directory at once (parallel CI jobs)
/// each keep the other's files in the manifest.
#[test]
fn renders_of_two_environments_at_once_leave_a_consistent_output() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let changed = work.config("changed.toml", &small_changed());
    for round in 0..6 {
        let config = if round % 2 == 0 { &changed } else { &config };
        let children: Vec<_> = ["staging", "production"]
            .into_iter()
            .map(|env| {
                work.command(&["render", "--config", config, "--env", env])
                    .env("PLATGEN_CACHE", "off")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("platgen runs")
            })
            .collect();
        for mut child in children {
            assert!(
                child.wait().expect("platgen ends").success(),
                "round {round}"
            );
        }
        work.expect(
            0,
            &[
                "check",
                "--config",
                config,
                "--no-cache",
                "--format",
                "short",
            ],
        );
    }
}

/// On one CPU every stage runs on the main thread (no template precompilation beside analysis,
/// planners one after the other, no rendering threads): the render is the same, byte for byte.
#[cfg(target_os = "linux")]
#[test]
fn a_render_on_one_cpu_is_the_render_on_several() {
    let work = Work::new();
    let config = work.config("platform.toml", &generate::platform(&reference(), 12, 0));
    work.render(&config);
    // The first CPU this process may run on.
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let allowed = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list");
    let cpu: String = allowed
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let output = Command::new("taskset")
        .args(["-c", &cpu, env!("CARGO_BIN_EXE_platgen")])
        .args(["render", "--no-cache", "--config", &config, "--out", "one"])
        .current_dir(work.dir.path())
        .env("PLATGEN_CACHE_DIR", work.cache.path())
        .output()
        .expect("taskset (util-linux) runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(tree(&work.path("one")), work.tree());
}

/// An output directory whose parents are missing too is made with them (no tree can be built
/// beside it), and one given as `out/` or `./out` is built beside itself like `out`: each ends
/// as the same render with nothing left around it.
#[test]
fn missing_output_directories_of_every_spelling_get_the_same_render() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    work.render(&config);
    let expected = work.tree();
    for out in ["deep/er/out", "trailing/", "./dotted"] {
        let before = top_level(work.dir.path());
        work.expect(0, &["render", "--config", &config, "--out", out]);
        assert_eq!(tree(&work.path(out)), expected, "{out}");
        work.expect(
            0,
            &["check", "--no-cache", "--config", &config, "--out", out],
        );
        let first = out
            .trim_start_matches("./")
            .split('/')
            .next()
            .unwrap_or(out);
        let mut after = before.clone();
        after.push(first.to_owned());
        after.sort();
        assert_eq!(
            top_level(work.dir.path()),
            after,
            "{out}: only the output directory appeared"
        );
    }
}

/// The names in `dir` itself, sorted: what a render into a missing output directory could
/// leave beside it.
fn top_level(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Into a missing output directory the render is built beside it and renamed into place: a
/// write that fails (a full disk, as in [`a_full_disk_fails_cleanly`]) leaves neither the
/// directory nor the hidden tree, and names the file as it would have been.
#[cfg(unix)]
#[test]
fn a_full_disk_fails_cleanly_into_a_missing_output_directory() {
    let work = Work::new();
    let config = work.config("platform.toml", SMALL);
    let before = top_level(work.dir.path());
    let output = render_under_sh(&work, "ulimit -f 4 && trap '' XFSZ &&", &config, "fresh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[E0501]: cannot write"), "{stderr}");
    assert!(stderr.contains("cannot write fresh/"), "{stderr}");
    assert!(!stderr.contains("platgen-tmp"), "{stderr}");
    assert_eq!(top_level(work.dir.path()), before);
}

/// A render into a missing output directory killed at any moment leaves no output directory
/// or the whole new one, never part of it; the next render finishes the job and removes the
/// hidden tree a kill left beside it. Kill times are bisected towards the rename, as in
/// [`a_killed_render_leaves_every_file_wholly_old_or_wholly_new`].
#[cfg(unix)]
#[test]
fn a_killed_render_into_a_missing_directory_leaves_none_or_all_of_it() {
    let work = Work::new();
    let config = work.config("p.toml", &generate::platform(&reference(), 24, 0));
    let render = |out: &str| {
        work.expect(
            0,
            &["render", "--no-cache", "--config", &config, "--out", out],
        )
    };
    let start = std::time::Instant::now();
    render("whole");
    let full = start.elapsed();
    let whole = tree(&work.path("whole"));
    let before = top_level(work.dir.path());
    let (mut early, mut late) = (std::time::Duration::ZERO, full * 3 / 2);
    for step in 0..8u32 {
        signal_after(
            &work,
            &[
                "render",
                "--no-cache",
                "--config",
                &config,
                "--out",
                "fresh",
            ],
            (early + late) / 2,
            None,
        );
        let fresh = work.path("fresh");
        let finished = fresh.exists();
        if finished {
            assert_eq!(
                tree(&fresh),
                whole,
                "kill {step}: a partial output directory"
            );
            late = (early + late) / 2;
        } else {
            early = (early + late) / 2;
        }
        eprintln!("kill {step}: finished {finished}");
        render("fresh");
        assert_eq!(
            tree(&fresh),
            whole,
            "the render after a kill did not complete it"
        );
        let mut expected = before.clone();
        expected.push("fresh".to_owned());
        expected.sort();
        if finished {
            // An existing directory is rendered in place; a tree left by this kill stays.
            fs::remove_dir_all(&fresh).expect("rm fresh");
            continue;
        }
        assert_eq!(
            top_level(work.dir.path()),
            expected,
            "kill {step}: left a tree beside"
        );
        fs::remove_dir_all(&fresh).expect("rm fresh");
    }
}

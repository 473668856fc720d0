//! The up-to-date cache (src/cache.rs): `check` and `render` skip the pipeline only when the
//! output directory is exactly what render would leave, and then answer exactly as the full
//! pipeline (`--no-cache`) does. Every way out/ can drift makes them fall back.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SMALL: &str = include_str!("fixtures/small.toml");

/// A working directory with a platform file and its own cache directory.
struct Work {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

/// One run: exit code, stdout, stderr without the stage timings, and whether the full pipeline
/// ran (its `plan` stage reported a timing).
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    planned: bool,
    /// Whether an entry of the cache was read whole and compared with the output directory.
    compared: bool,
}

impl Work {
    fn new() -> Self {
        let work = Self {
            dir: tempfile::tempdir().expect("tempdir"),
            cache: tempfile::tempdir().expect("tempdir"),
        };
        work.write("platform.toml", SMALL);
        work
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_platgen"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env("PLATGEN_TIMINGS", "1")
            .env("PLATGEN_CACHE_DIR", self.cache.path());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("platgen runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let timing = |l: &&str| {
            l.starts_with("platgen: incremental: ")
                || l.starts_with("platgen: ") && l.contains(" ms")
        };
        Run {
            code: output.status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: stderr
                .lines()
                .filter(|l| !timing(l))
                .collect::<Vec<_>>()
                .join("\n"),
            planned: stderr.lines().any(|l| l.starts_with("platgen: plan ")),
            compared: stderr
                .lines()
                .any(|l| l.starts_with("platgen: cache compare ")),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs `args` with the cache and with `--no-cache`; asserts both answer the same and
    /// returns the cached run.
    fn same_as_full(&self, args: &[&str]) -> Run {
        let cached = self.run(args);
        let full = self.run(&[args, &["--no-cache"]].concat());
        assert!(full.planned, "--no-cache runs the pipeline");
        assert_eq!(
            (cached.code, &cached.stdout, &cached.stderr),
            (full.code, &full.stdout, &full.stderr),
            "platgen {args:?}: the cache answered differently from the full pipeline"
        );
        cached
    }

    /// The up-to-date entries (not the records of files the incremental render keeps).
    fn entries(&self) -> Vec<PathBuf> {
        fs::read_dir(self.cache.path())
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.file_name().is_some_and(|n| n.len() == 64))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The built-in `kubernetes/namespace.yaml`, to override with.
fn embedded_namespace() -> &'static str {
    platgen::render::EMBEDDED
        .iter()
        .find(|(name, _)| *name == "kubernetes/namespace.yaml")
        .expect("embedded")
        .1
}

fn edit_file(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn check_and_render_after_a_render_skip_the_pipeline_and_say_the_same() {
    let work = Work::new();
    let first = work.run(&["render"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.planned);
    assert_eq!(work.entries().len(), 1, "render records its result");

    let check = work.same_as_full(&["check"]);
    assert_eq!(check.code, 0);
    assert!(!check.planned, "an up-to-date check renders nothing");
    assert!(check.stdout.contains("are consistent"), "{}", check.stdout);
    let short = work.same_as_full(&["check", "--format", "short"]);
    assert_eq!((short.code, short.stdout.as_str()), (0, ""));

    let render = work.same_as_full(&["render"]);
    assert!(!render.planned);
    assert!(render.stdout.contains(" 0 added, 0 changed, 0 removed"));

    for args in [
        &["diff"][..],
        &["diff", "--stat"],
        &["diff", "--format", "markdown"],
    ] {
        let diff = work.same_as_full(args);
        assert_eq!(diff.code, 0, "{args:?}");
        assert!(!diff.planned, "{args:?}");
    }
}

/// A change made to a rendered output directory.
type Drift = Box<dyn Fn(&Work)>;

#[test]
fn every_drift_of_the_output_falls_back_to_the_full_pipeline() {
    const OWNED: &str = "staging/kubernetes/api-configmap.yaml";
    let drifts: Vec<(&str, Drift)> = vec![
        (
            "an owned file edited by hand",
            Box::new(|w: &Work| edit_file(&w.path("out").join(OWNED), "kind:", "kind:  ")),
        ),
        (
            "an owned file deleted",
            Box::new(|w: &Work| fs::remove_file(w.path("out").join(OWNED)).expect("rm")),
        ),
        (
            "the manifest deleted",
            Box::new(|w: &Work| fs::remove_file(w.path("out/.platgen-manifest")).expect("rm")),
        ),
        (
            "a manifest entry changed",
            Box::new(|w: &Work| {
                let path = w.path("out/.platgen-manifest");
                let text = fs::read_to_string(&path).expect("read");
                let line = text.lines().find(|l| l.ends_with(OWNED)).expect("listed");
                let (_, path_part) = line.split_once("  ").expect("entry");
                let forged = format!("{}  {path_part}", "0".repeat(64));
                fs::write(&path, text.replace(line, &forged)).expect("write");
            }),
        ),
        (
            "a stale owned file added to the manifest",
            Box::new(|w: &Work| {
                w.write("out/docker/Dockerfile.gone", "FROM scratch\n");
                let path = w.path("out/.platgen-manifest");
                let mut text = fs::read_to_string(&path).expect("read");
                let hash = text
                    .lines()
                    .nth(1)
                    .expect("an entry")
                    .split_once("  ")
                    .expect("entry")
                    .0
                    .to_owned();
                text.push_str(&format!("{hash}  docker/Dockerfile.gone\n"));
                fs::write(&path, text).expect("write");
            }),
        ),
    ];
    for (what, drift) in drifts {
        let work = Work::new();
        assert_eq!(work.run(&["render"]).code, 0);
        drift(&work);
        let check = work.same_as_full(&["check", "--format", "short"]);
        assert_eq!(check.code, 1, "{what}: check finds it");
        assert!(check.planned, "{what}: the cache must not answer");
        work.same_as_full(&["check"]);
        let diff = work.same_as_full(&["diff"]);
        assert_eq!(diff.code, 1, "{what}: diff shows it");
        // Rendering repairs it, after which the cache answers again.
        assert_eq!(work.run(&["render"]).code, 0, "{what}");
        let check = work.same_as_full(&["check"]);
        assert_eq!(check.code, 0, "{what}: {}", check.stdout);
        assert!(!check.planned, "{what}: repaired, the cache answers again");
    }
}

#[test]
fn a_file_platgen_does_not_own_matters_only_to_strict() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    work.write("out/notes.txt", "mine\n");
    let check = work.same_as_full(&["check"]);
    assert_eq!(check.code, 0);
    assert!(!check.planned, "unowned files do not concern a plain check");
    let strict = work.same_as_full(&["check", "--strict", "--format", "short"]);
    assert_eq!(strict.code, 1);
    assert!(strict.stdout.contains("notes.txt"), "{}", strict.stdout);
    assert!(strict.planned);
}

#[test]
fn a_changed_input_is_a_miss() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    edit_file(&work.path("platform.toml"), "replicas = 2", "replicas = 3");
    let check = work.same_as_full(&["check", "--format", "short"]);
    assert_eq!(check.code, 1);
    assert!(check.planned);
    assert!(check.stdout.contains("stale"), "{}", check.stdout);
    // The same bytes under another name, and another output directory, are other keys too.
    assert_eq!(work.run(&["render"]).code, 0);
    fs::copy(work.path("platform.toml"), work.path("copy.toml")).expect("copy");
    assert!(
        work.same_as_full(&["check", "--config", "copy.toml"])
            .planned
    );
    assert_eq!(work.run(&["check", "--out", "elsewhere"]).code, 1);
}

#[test]
fn an_entry_whose_render_the_output_no_longer_holds_is_set_aside_unread() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    assert!(work.run(&["check"]).compared, "a hit compares the entry");
    // Another branch rendered, then this one checked out again: its entry is in the cache, but
    // out/ holds the other branch's files.
    edit_file(&work.path("platform.toml"), "replicas = 2", "replicas = 3");
    assert_eq!(work.run(&["render"]).code, 0);
    edit_file(&work.path("platform.toml"), "replicas = 3", "replicas = 2");
    let check = work.same_as_full(&["check", "--format", "short"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(check.stdout.contains("stale"), "{}", check.stdout);
    assert!(check.planned);
    assert!(
        !check.compared,
        "another render's manifest: the entry is not read"
    );
    assert_eq!(work.same_as_full(&["diff"]).code, 1);
    let render = work.run(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(render.planned && !render.compared);
    let check = work.same_as_full(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(
        !check.planned && check.compared,
        "rendered again, the entry answers"
    );
    // An output directory that is now a file: the entry is set aside, and the error is the
    // full pipeline's.
    fs::remove_dir_all(work.path("out")).expect("rm");
    fs::write(work.path("out"), "not a directory\n").expect("write");
    for command in ["check", "render", "diff"] {
        let run = work.same_as_full(&[command]);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("the output directory out is not a directory"),
            "{command}: {}",
            run.stderr
        );
    }
    assert_eq!(
        fs::read_to_string(work.path("out")).expect("read"),
        "not a directory\n"
    );
}

#[test]
fn a_scoped_render_does_not_vouch_for_the_other_environments() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    edit_file(&work.path("platform.toml"), "replicas = 2", "replicas = 3");
    assert_eq!(work.run(&["render", "--env", "production"]).code, 0);
    let scoped = work.same_as_full(&["check", "--env", "production"]);
    assert_eq!(scoped.code, 0, "{}", scoped.stdout);
    assert!(
        !scoped.planned,
        "the scoped render vouches for its own scope"
    );
    let whole = work.same_as_full(&["check", "--format", "short"]);
    assert_eq!(whole.code, 1, "staging is stale: {}", whole.stdout);
    assert!(whole.planned);
}

#[test]
fn a_changed_template_override_is_a_miss() {
    let work = Work::new();
    let namespace = embedded_namespace();
    work.write("tpl/kubernetes/namespace.yaml", namespace);
    let args = ["render", "--templates", "tpl"];
    assert_eq!(work.run(&args).code, 0);
    let check = ["check", "--templates", "tpl", "--format", "short"];
    assert!(!work.same_as_full(&check).planned);
    work.write(
        "tpl/kubernetes/namespace.yaml",
        &format!("{namespace}# changed\n"),
    );
    let stale = work.same_as_full(&check);
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    assert!(stale.planned);
}

/// An override that is a link to a template kept elsewhere counts by what it points at.
#[cfg(unix)]
#[test]
fn a_changed_template_behind_a_link_is_a_miss() {
    let work = Work::new();
    let namespace = embedded_namespace();
    work.write("shared/namespace.yaml", namespace);
    fs::create_dir_all(work.path("tpl/kubernetes")).expect("mkdir");
    std::os::unix::fs::symlink(
        work.path("shared/namespace.yaml"),
        work.path("tpl/kubernetes/namespace.yaml"),
    )
    .expect("symlink");
    assert_eq!(work.run(&["render", "--templates", "tpl"]).code, 0);
    let check = ["check", "--templates", "tpl", "--format", "short"];
    assert!(!work.same_as_full(&check).planned);
    work.write("shared/namespace.yaml", &format!("{namespace}# changed\n"));
    let stale = work.same_as_full(&check);
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    assert!(stale.planned);
}

#[test]
fn an_unreadable_entry_is_a_miss_and_is_replaced() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    for entry in work.entries() {
        fs::write(entry, "not a cache entry\n").expect("write");
    }
    let check = work.same_as_full(&["check"]);
    assert_eq!(check.code, 0);
    assert!(check.planned);
    assert!(
        !work.run(&["check"]).planned,
        "the full run wrote a good entry"
    );
}

#[test]
fn a_render_the_cache_answers_still_removes_leftover_temporary_files() {
    let work = Work::new();
    assert_eq!(work.run(&["render"]).code, 0);
    let leftover = work.path("out/docker/.platgen-tmp-abc123");
    fs::write(&leftover, "half a file").expect("write");
    let render = work.run(&["render"]);
    assert_eq!(render.code, 0);
    assert!(!render.planned);
    assert!(!leftover.exists());
}

#[test]
fn the_cache_can_be_turned_off() {
    let work = Work::new();
    let off = [("PLATGEN_CACHE", "off")];
    assert_eq!(work.run_with(&["render"], &off).code, 0);
    assert!(
        work.entries().is_empty(),
        "nothing written with the cache off"
    );
    assert!(work.run_with(&["check"], &off).planned);
    assert_eq!(work.run(&["render"]).code, 0);
    assert!(work.run_with(&["check"], &off).planned);
    assert!(work.run(&["check", "--no-cache"]).planned);
    assert!(!work.run(&["check"]).planned);
}

#[test]
fn the_cache_keeps_its_newest_entries() {
    let work = Work::new();
    for replicas in 1..=(platgen::cache::KEEP + 3) {
        let text = SMALL.replacen("replicas = 2", &format!("replicas = {replicas}"), 1);
        work.write(&format!("p{replicas}.toml"), &text);
        let config = format!("p{replicas}.toml");
        let out = format!("out{replicas}");
        let run = work.run(&["check", "--config", &config, "--out", &out]);
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
    assert_eq!(work.entries().len(), platgen::cache::KEEP);
}

#[test]
fn a_cache_that_cannot_be_written_never_fails_a_run() {
    let work = Work::new();
    let not_a_dir = work.path("cache-is-a-file");
    fs::write(&not_a_dir, "x").expect("write");
    let cache = [("PLATGEN_CACHE_DIR", not_a_dir.to_str().expect("utf-8 path"))];
    let render = work.run_with(&["render"], &cache);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert_eq!(render.stderr, "");
    let check = work.run_with(&["check"], &cache);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.planned, "no cache to answer from");
}

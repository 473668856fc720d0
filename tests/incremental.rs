//! The incremental render (`platgen::incremental`): a file whose fingerprint did not change is
//! taken as it is on disk, so a fingerprint must cover everything that decides the file.
//!
//! The first test changes the example platforms one setting (string, number, list item, key,
//! service) at a time and checks, for every file whose fingerprint stayed the same, that its
//! bytes did too: a part of the model a file reads without naming it fails here. The others drive the CLI: a render
//! after a change renders only what changed and leaves what a full render leaves, and a file
//! changed behind platgen's back is still seen.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use platgen::diagnostics::SourceFile;
use toml::{Table, Value};

mod common;

use common::root;

/// Each rendered file's path with its fingerprint and content.
type Files = BTreeMap<String, (Option<[u8; 32]>, String)>;

/// The files of a platform, or `None` when it does not compile.
fn compile(text: &str) -> Option<Files> {
    let source = || SourceFile::new("platform.toml", text);
    let (_, platform) = platgen::analyse(source()).ok()?;
    let fingerprints: BTreeMap<String, Option<[u8; 32]>> =
        platgen::plan::fingerprints(&platform, None, b"salt")
            .into_iter()
            .collect();
    let compiled = platgen::compile(source(), None, None).ok()?;
    Some(
        compiled
            .files
            .into_iter()
            .map(|f| {
                let fingerprint = fingerprints.get(&f.path).copied().flatten();
                (f.path, (fingerprint, f.content))
            })
            .collect(),
    )
}

/// Every variant of `value` with one change at any depth: an integer, float, boolean or string
/// changed, an array item removed, changed, repeated or the array reversed, a key removed.
fn variants_of(value: &Value) -> Vec<Value> {
    match value {
        Value::Integer(n) => vec![Value::Integer(n + 1), Value::Integer(n * 2 + 1)],
        Value::Boolean(b) => vec![Value::Boolean(!b)],
        Value::Float(f) => vec![Value::Float(f + 0.1), Value::Float(f / 2.0)],
        Value::String(s) => {
            let mut out = vec![
                Value::String(format!("{s}x")),
                Value::String(format!("x{s}")),
                Value::String(String::new()),
            ];
            // Every digit moved by one: versions, sizes and durations stay well-formed.
            let bumped: String = s
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_digit((d + 1) % 10, 10).unwrap_or(c),
                    None => c,
                })
                .collect();
            if bumped != *s {
                out.push(Value::String(bumped));
            }
            out
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut removed = items.clone();
                removed.remove(i);
                out.push(Value::Array(removed));
                for changed in variants_of(item) {
                    let mut v = items.clone();
                    v[i] = changed;
                    out.push(Value::Array(v));
                }
            }
            if let Some(first) = items.first() {
                let mut repeated = items.clone();
                repeated.push(first.clone());
                out.push(Value::Array(repeated));
                let mut reversed = items.clone();
                reversed.reverse();
                out.push(Value::Array(reversed));
            }
            out
        }
        Value::Table(table) => {
            let mut out = Vec::new();
            for (key, inner) in table {
                for changed in variants_of(inner) {
                    let mut t = table.clone();
                    t.insert(key.clone(), changed);
                    out.push(Value::Table(t));
                }
                let mut removed = table.clone();
                removed.remove(key);
                out.push(Value::Table(removed));
            }
            out
        }
        Value::Datetime(_) => Vec::new(),
    }
}

/// Variants of a platform (see [`variants_of`]): one setting changed or removed, one service
/// removed, one list item changed, and so on.
fn variants(text: &str) -> Vec<String> {
    let table: Table = text.parse().expect("TOML");
    variants_of(&Value::Table(table))
        .into_iter()
        .map(|t| toml::to_string(&t).expect("TOML"))
        .collect()
}

#[test]
fn a_file_whose_fingerprint_stays_the_same_keeps_its_bytes() {
    let (mut compared, mut skipped_as_unchanged) = (0, 0);
    for (_, file) in common::platforms() {
        let text = fs::read_to_string(&file).expect("example");
        let base = compile(&text).expect("the example compiles");
        assert!(
            base.values().any(|(f, _)| f.is_some()),
            "{}: no file has a fingerprint",
            file.display()
        );
        // Hundreds of variants, each compiled in full: on every core.
        let counts = platgen::parallel::map(&variants(&text), |variant| {
            let changed = compile(variant)?;
            let mut unchanged = 0;
            for (path, (fingerprint, content)) in &changed {
                let Some((before, old)) = base.get(path) else {
                    continue;
                };
                if fingerprint.is_some() && fingerprint == before {
                    unchanged += 1;
                    assert_eq!(
                        content,
                        old,
                        "{}: {path} kept its fingerprint but not its bytes after this change:\n{}",
                        file.display(),
                        first_difference(&text, variant)
                    );
                }
            }
            Some(unchanged)
        });
        for unchanged in counts.into_iter().flatten() {
            compared += 1;
            skipped_as_unchanged += unchanged;
        }
    }
    assert!(compared > 500, "only {compared} variants compiled");
    assert!(skipped_as_unchanged > 20_000, "{skipped_as_unchanged}");
}

fn first_difference(a: &str, b: &str) -> String {
    let a: Table = a.parse().expect("TOML");
    let a = toml::to_string(&a).expect("TOML");
    a.lines().zip(b.lines()).find(|(x, y)| x != y).map_or_else(
        || "(a removed table)".to_owned(),
        |(x, y)| format!("- {x}\n+ {y}"),
    )
}

/// A platform, its output directory and a cache of its own.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::copy(
            root().join("platform.toml"),
            dir.path().join("platform.toml"),
        )
        .expect("copy");
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_platgen"))
            .args(args)
            .current_dir(self.dir.path())
            .env("PLATGEN_CACHE_DIR", self.path("cache"))
            .env("PLATGEN_TIMINGS", "1")
            .env("NO_COLOR", "1")
            .output()
            .expect("platgen runs");
        assert!(
            output.status.code().is_some(),
            "platgen was killed: {output:?}"
        );
        output
    }

    /// Renders, then again once the files are old enough to be recorded (see
    /// `FileStat::racy`): afterwards every fingerprinted file is in the record.
    fn render_and_record(&self) {
        assert!(self.run(&["render"]).status.success());
        std::thread::sleep(Duration::from_millis(250));
        let again = self.run(&["render", "--no-cache"]);
        assert!(again.status.success(), "{}", stderr(&again));
    }

    /// Renders; asserts that render said `file` was edited by hand and put `before` back.
    fn render_puts_back(&self, file: &Path, before: &str) -> Output {
        let render = self.run(&["render"]);
        assert!(render.status.success(), "{}", stderr(&render));
        let name = file.file_name().expect("a file").to_string_lossy();
        assert!(
            stderr(&render).contains(&format!("{name} was edited by hand")),
            "the edit went unseen:\n{}",
            stderr(&render)
        );
        assert_eq!(fs::read_to_string(file).expect("read"), before);
        render
    }

    fn edit_platform(&self, from: &str, to: &str) {
        let path = self.path("platform.toml");
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{from:?}");
        fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `(taken as unchanged, rendered)` from the timings on stderr.
fn counts(output: &Output) -> (usize, usize) {
    let text = stderr(output);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("platgen: incremental: "))
        .unwrap_or_else(|| panic!("no incremental line in:\n{text}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// Every file under `dir` with its bytes, but the manifest and bookkeeping.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("below").to_path_buf();
            (rel, fs::read(e.path()).expect("read"))
        })
        .collect()
}

#[test]
fn a_render_after_a_change_renders_only_what_changed_and_writes_what_a_full_render_writes() {
    let work = Work::new();
    work.render_and_record();
    work.edit_platform("workers = 4", "workers = 5");
    let render = work.run(&["render"]);
    assert!(render.status.success(), "{}", stderr(&render));
    let (unchanged, rendered) = counts(&render);
    assert!(
        unchanged > rendered,
        "{unchanged} taken as unchanged, {rendered} rendered"
    );
    assert!(
        String::from_utf8_lossy(&render.stdout).contains(" changed, 0 removed"),
        "{}",
        String::from_utf8_lossy(&render.stdout)
    );

    // The same tree as a render from nothing, with no record at all.
    let fresh = work.path("fresh");
    let full = Command::new(env!("CARGO_BIN_EXE_platgen"))
        .args(["render", "--out"])
        .arg(&fresh)
        .current_dir(work.dir.path())
        .env("PLATGEN_CACHE", "off")
        .output()
        .expect("platgen runs");
    assert!(full.status.success());
    assert_eq!(tree(&work.path("out")), tree(&fresh));
    let check = work.run(&["check", "--no-cache"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn a_file_changed_behind_the_record_is_seen_even_with_its_times_put_back() {
    let work = Work::new();
    work.render_and_record();
    let file = work.path("out/production/kubernetes/platform-auth-deployment.yaml");
    let before = fs::read_to_string(&file).expect("rendered");
    let modified = fs::metadata(&file)
        .expect("stat")
        .modified()
        .expect("mtime");
    // Same size, same modification time: only the change time tells.
    let edited = before.replacen("replicas: 2", "replicas: 9", 1);
    assert_ne!(edited, before);
    fs::write(&file, &edited).expect("edit");
    fs::File::options()
        .write(true)
        .open(&file)
        .expect("open")
        .set_modified(modified)
        .expect("set mtime");

    let diff = work.run(&["diff", "--no-cache"]);
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    assert!(
        String::from_utf8_lossy(&diff.stdout).contains("platform-auth-deployment.yaml"),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
    // The record is used (not --no-cache), and still the file is rendered and put back.
    work.render_puts_back(&file, &before);
}

#[test]
fn right_after_a_render_files_are_taken_as_unchanged_by_their_bytes() {
    let work = Work::new();
    // No pause: every file changed within a clock tick of the record.
    assert!(work.run(&["render"]).status.success());
    let file = work.path("out/production/kubernetes/platform-auth-deployment.yaml");
    let before = fs::read_to_string(&file).expect("rendered");
    // An edit in the same tick could keep every time; the bytes still tell.
    fs::write(&file, before.replacen("replicas: 2", "replicas: 9", 1)).expect("edit");
    work.edit_platform("workers = 4", "workers = 5");
    let render = work.render_puts_back(&file, &before);
    let (unchanged, rendered) = counts(&render);
    assert!(
        unchanged > rendered,
        "{unchanged} taken as unchanged, {rendered} rendered"
    );
}

/// A file edited after render compared it (and found it the same) but before the record was
/// written: the record holds what `lstat` said when the bytes were read, so the edit is seen.
/// Drives the library as `platgen render --no-cache` does, with the edit between the commit
/// and the record.
#[test]
fn an_edit_between_the_comparison_and_the_record_is_still_seen() {
    let work = Work::new();
    work.render_and_record();
    // The only test here that reads the cache directory in-process.
    unsafe { std::env::set_var("PLATGEN_CACHE_DIR", work.path("cache")) };
    let out = work.path("out");
    let known = platgen::later::Later::ready(Some(
        platgen::incremental::Known::load(&out, None)
            .expect("a record")
            .forget(),
    ));
    let source = platgen::read_source(&work.path("platform.toml")).expect("source");
    let manifest = platgen::later::Later::ready(Some(
        platgen::output::read_manifest(&out).expect("manifest"),
    ));
    let output_dir = platgen::OutputDir {
        dir: &out,
        key: None,
        manifest: Some(&manifest),
        known: Some(&known),
    };
    let (compiled, changes, staged) =
        platgen::compile_and_stage(source, None, None, output_dir).expect("compiles");
    platgen::output::commit(&out, staged, &changes).expect("commit");
    // Someone saves a file while the render finishes.
    let file = out.join("production/kubernetes/platform-user-configmap.yaml");
    let before = fs::read_to_string(&file).expect("rendered");
    let edited = before.replacen("kind: ConfigMap", "kind: ConfigMap # edit", 1);
    fs::write(&file, edited).expect("edit");
    std::thread::sleep(Duration::from_millis(300));
    let committing = std::time::SystemTime::now() - Duration::from_millis(300);
    known.into_inner().expect("a record").record(
        &out,
        &compiled.fingerprinted,
        &changes.next_manifest,
        committing,
    );

    work.edit_platform("workers = 4", "workers = 5");
    work.render_puts_back(&file, &before);
}

#[test]
fn other_templates_render_every_file_again() {
    let work = Work::new();
    work.render_and_record();
    let templates = work.path("templates/kubernetes");
    fs::create_dir_all(&templates).expect("mkdir");
    let deployment = platgen::render::EMBEDDED
        .iter()
        .find(|(name, _)| *name == "kubernetes/deployment.yaml")
        .expect("embedded")
        .1;
    fs::write(
        templates.join("deployment.yaml"),
        format!("# overridden\n{deployment}"),
    )
    .expect("write");
    let render = work.run(&["render", "--templates", "templates"]);
    assert!(render.status.success(), "{}", stderr(&render));
    assert_eq!(counts(&render).0, 0, "nothing is taken as unchanged");
    let file = work.path("out/staging/kubernetes/platform-api-deployment.yaml");
    assert!(
        fs::read_to_string(file)
            .expect("read")
            .contains("# overridden"),
        "the override reached the file"
    );
}

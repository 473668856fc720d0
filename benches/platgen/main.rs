//! The platgen benchmark: whole-process wall time of the built binary (what a user or a
//! pre-commit hook waits for) on the reference platform and on generated platforms of 10, 100
//! and 1000 services × 3 environments. Not a timed test: it prints figures, it asserts nothing.
//!
//!   cargo bench --bench platgen                       every size
//!   PLATGEN_BENCH_SIZES=10,100 cargo bench --bench platgen
//!
//! `cargo test --all-targets` (or `--benches`) runs this too, without the `--bench` flag
//! `cargo bench` passes: then it only checks that the bench still works (one run of every
//! command on the reference and on 10 services, each with its expected exit code) and prints
//! no figures, which a test build's timings would make meaningless.
//!
//! `check` and `render` with nothing to do are answered by the up-to-date cache (kept in the
//! bench's own directory); `--no-cache` figures are what a first run on a fresh machine costs.
//! Each figure is the median of several runs. Peak memory comes from `/usr/bin/time -v` when it
//! is installed. The platforms and outputs live in `PLATGEN_BENCH_DIR`, by default `/dev/shm`
//! (tmpfs, so the figures measure platgen and not the disk; `cp -r` of the same tree is printed
//! as the floor). `scripts/bench.sh` runs this and hyperfine on the reference platform.

// The benchmark's figures are its output (see clippy.toml).
#![allow(clippy::disallowed_macros)]

mod generate;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_platgen");

/// Whether `cargo bench` started this (it passes `--bench`, whatever the harness), rather than
/// `cargo test`.
fn measuring() -> bool {
    std::env::args().skip(1).any(|arg| arg == "--bench")
}

/// `runs` when measuring; once when only checking that the bench works.
fn runs_when(measure: bool, runs: usize) -> usize {
    if measure { runs } else { 1 }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs platgen in `dir`; panics unless it exits with `code`.
fn run(dir: &Path, args: &[&str], code: i32) -> Duration {
    let start = Instant::now();
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("PLATGEN_CACHE_DIR", dir.join(".platgen-cache"))
        .output()
        .expect("platgen runs");
    let elapsed = start.elapsed();
    assert_eq!(
        output.status.code(),
        Some(code),
        "platgen {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// Median of `runs` timings, each after `prepare` (not timed).
fn median(runs: usize, mut prepare: impl FnMut(), mut timed: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            prepare();
            timed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Peak resident memory of one run in MB, via `/usr/bin/time -v` (None when it is missing).
fn peak_memory_mb(dir: &Path, args: &[&str]) -> Option<f64> {
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env("PLATGEN_CACHE_DIR", dir.join(".platgen-cache"))
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kb: f64 = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn count_files(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count()
}

/// A fresh directory under `PLATGEN_BENCH_DIR`; by default under `/dev/shm`, or the system's
/// temporary directory where there is no `/dev/shm` one can write to.
fn workdir() -> tempfile::TempDir {
    if let Some(base) = std::env::var_os("PLATGEN_BENCH_DIR") {
        return tempfile::tempdir_in(base).expect("a directory in PLATGEN_BENCH_DIR");
    }
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("a temporary directory")
}

fn remove(dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove output");
    }
}

fn bench_reference(measure: bool) {
    let work = workdir();
    let dir = work.path();
    std::fs::copy(root().join("platform.toml"), dir.join("platform.toml")).expect("copy");
    let out = dir.join("out");
    let runs = runs_when(measure, 31);
    let render_empty = median(runs, || remove(&out), || run(dir, &["render"], 0));
    let render_current = median(runs, || {}, || run(dir, &["render"], 0));
    let check = median(runs, || {}, || run(dir, &["check"], 0));
    let check_full = median(runs, || {}, || run(dir, &["check", "--no-cache"], 0));
    let diff = median(runs, || {}, || run(dir, &["diff"], 0));
    if !measure {
        return;
    }
    println!(
        "reference platform ({} files), median of {runs} runs:",
        count_files(&out)
    );
    println!("  render into an empty directory  {}", ms(render_empty));
    println!("  render, nothing changed         {}", ms(render_current));
    println!("  check                           {}", ms(check));
    println!("  check --no-cache                {}", ms(check_full));
    println!("  diff, nothing changed           {}", ms(diff));
}

/// The figures of one platform size that should grow linearly with its number of services.
struct Figures {
    services: usize,
    timings: [(&'static str, Duration); 5],
}

fn bench_size(services: usize, measure: bool) -> Option<Figures> {
    let reference = std::fs::read_to_string(root().join("platform.toml")).expect("platform.toml");
    let work = workdir();
    let dir = work.path();
    std::fs::write(
        dir.join("platform.toml"),
        generate::platform(&reference, services, 0),
    )
    .expect("write platform");
    std::fs::write(
        dir.join("changed.toml"),
        generate::platform(&reference, services, 1),
    )
    .expect("write platform");
    let out = dir.join("out");
    let runs = runs_when(measure, if services >= 1000 { 5 } else { 11 });
    let render_empty = median(runs, || remove(&out), || run(dir, &["render"], 0));
    let files = count_files(&out);
    let check = median(runs, || {}, || run(dir, &["check"], 0));
    let check_full = median(runs, || {}, || run(dir, &["check", "--no-cache"], 0));
    let diff = median(
        runs,
        || {},
        || run(dir, &["diff", "--config", "changed.toml"], 1),
    );
    let rerender = median(
        runs,
        || {
            run(dir, &["render"], 0);
        },
        || run(dir, &["render", "--config", "changed.toml"], 0),
    );
    if !measure {
        return None;
    }
    let copy = dir.join("copy");
    let cp = median(
        runs,
        || remove(&copy),
        || {
            let start = Instant::now();
            let status = Command::new("cp").arg("-r").arg(&out).arg(&copy).status();
            assert!(status.is_ok_and(|s| s.success()), "cp -r");
            start.elapsed()
        },
    );
    remove(&copy);
    let check_memory = peak_memory_mb(dir, &["check", "--no-cache"]);
    remove(&out);
    let memory = peak_memory_mb(dir, &["render"]).map_or_else(
        || "n/a (no /usr/bin/time)".to_owned(),
        |mb| format!("{mb:.0} MB"),
    );
    println!("{services} services × 3 environments ({files} files), median of {runs} runs:");
    println!("  render into an empty directory  {}", ms(render_empty));
    println!("  check, up to date               {}", ms(check));
    println!("  check --no-cache                {}", ms(check_full));
    println!("  diff, one service changed       {}", ms(diff));
    println!("  render, one service changed     {}", ms(rerender));
    println!("  peak memory, render             {memory}");
    if let Some(mb) = check_memory {
        println!("  peak memory, check --no-cache   {mb:.0} MB");
    }
    println!("  (floor: cp -r of the same tree  {})", ms(cp));
    Some(Figures {
        services,
        timings: [
            ("render", render_empty),
            ("check", check),
            ("check --no-cache", check_full),
            ("diff", diff),
            ("re-render", rerender),
        ],
    })
}

/// How each figure grew from one size to the next, against the growth in services: a factor
/// well above the services' own is work growing faster than linearly (a scan per service).
fn print_growth(figures: &[Figures]) {
    for pair in figures.windows(2) {
        let (small, large) = (&pair[0], &pair[1]);
        let factors: Vec<String> = small
            .timings
            .iter()
            .zip(&large.timings)
            .map(|((name, a), (_, b))| format!("{name} ×{:.1}", b.as_secs_f64() / a.as_secs_f64()))
            .collect();
        println!(
            "growth {} → {} services (×{:.0}): {}",
            small.services,
            large.services,
            large.services as f64 / small.services as f64,
            factors.join(", ")
        );
    }
}

fn main() {
    let measure = measuring();
    let sizes: Vec<usize> = std::env::var("PLATGEN_BENCH_SIZES")
        .unwrap_or_else(|_| if measure { "10,100,1000" } else { "10" }.to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "platgen benchmark: whole process, {} CPUs, in {}",
        std::thread::available_parallelism().map_or(1, usize::from),
        workdir()
            .path()
            .parent()
            .map_or_else(String::new, |p| p.display().to_string())
    );
    if !measure {
        println!(
            "  checking only (cargo test): one run of every command on the reference and on {} services; \
             `cargo bench --bench platgen` measures",
            sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    bench_reference(measure);
    let figures: Vec<Figures> = sizes
        .into_iter()
        .filter_map(|services| bench_size(services, measure))
        .collect();
    print_growth(&figures);
    if !measure {
        println!("  every command exited as expected");
    }
}

//! Stage timings for profiling: with `PLATGEN_TIMINGS=1`, each stage prints how long it took to
//! stderr, with the peak memory so far where the system tells it (`platgen: validate 1.23 ms,
//! peak 12 MB`). Off by default, and then costs one check per stage.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| {
        start();
        std::env::var_os("PLATGEN_TIMINGS").is_some_and(|v| !v.is_empty())
    })
}

/// When timings were first asked about (early in `main`).
fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Prints `text` (built only then) when timings are on.
pub fn note(text: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("platgen: {}", text());
    }
}

/// Notes how long the process has run, when timings are on (the first call, from `main`,
/// starts the clock).
pub fn mark(what: &str) {
    if enabled() {
        eprintln!(
            "platgen: {what} at {:.2} ms",
            start().elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Runs `f`, printing its wall time under `stage` when timings are on.
pub fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let result = f();
    let peak = peak_memory_mb().map_or_else(String::new, |mb| format!(", peak {mb} MB"));
    eprintln!(
        "platgen: {stage} {:.2} ms{peak}, done at {:.2} ms",
        start.elapsed().as_secs_f64() * 1000.0,
        self::start().elapsed().as_secs_f64() * 1000.0
    );
    result
}

/// The process's peak resident memory (Linux: `VmHWM` in /proc/self/status).
fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}

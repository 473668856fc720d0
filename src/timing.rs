//! Stage timings for profiling: with `PLATGEN_TIMINGS=1`, each stage prints how long it took to
//! stderr, with the peak memory so far where the system tells it (`platgen: validate 1.23 ms,
//! peak 12 MB`). Off by default, and then costs one check per stage.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("PLATGEN_TIMINGS").is_some_and(|v| !v.is_empty()))
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
        "platgen: {stage} {:.2} ms{peak}",
        start.elapsed().as_secs_f64() * 1000.0
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

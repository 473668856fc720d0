//! Stage timings for profiling: with `PLATGEN_TIMINGS=1`, each stage prints how long it took to
//! stderr, with the peak memory so far where the system tells it (`platgen: validate 1.23 ms,
//! peak 12 MB`), and the render stage which templates its time went to. Off by default, and
//! then costs one check per stage and per file.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

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
        crate::errln!("platgen: {}", text());
    }
}

/// Notes how long the process has run, when timings are on (the first call, from `main`,
/// starts the clock).
pub fn mark(what: &str) {
    if enabled() {
        crate::errln!(
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
    crate::errln!(
        "platgen: {stage} {:.2} ms{peak}, done at {:.2} ms",
        start.elapsed().as_secs_f64() * 1000.0,
        self::start().elapsed().as_secs_f64() * 1000.0
    );
    result
}

/// Time spent building each template's files, on every rendering thread: (files, time).
static BY_TEMPLATE: Mutex<Option<HashMap<String, (usize, Duration)>>> = Mutex::new(None);

/// How many templates [`note_templates`] names.
const TEMPLATES_SHOWN: usize = 8;

/// The moment a file's build starts, when timings are on.
pub fn file_started() -> Option<Instant> {
    enabled().then(Instant::now)
}

/// Adds the build of one file from `template`, started at `started` (see [`file_started`]).
pub fn file_built(template: &str, started: Option<Instant>) {
    let Some(started) = started else { return };
    let took = started.elapsed();
    let mut all = BY_TEMPLATE.lock().unwrap_or_else(PoisonError::into_inner);
    let all = all.get_or_insert_with(HashMap::new);
    match all.get_mut(template) {
        Some((files, time)) => {
            *files += 1;
            *time += took;
        }
        None => {
            all.insert(template.to_owned(), (1, took));
        }
    }
}

/// Prints the rendering threads' total over every template, then the templates whose files
/// took longest to build, and forgets them. The times are summed over the rendering threads:
/// close to the CPU time each cost, not wall time; against the stage's wall time on each core,
/// the total tells how busy the threads were.
pub fn note_templates() {
    let Some(all) = BY_TEMPLATE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    let line = |name: &str, files: usize, took: Duration| {
        let plural = if files == 1 { "" } else { "s" };
        crate::errln!(
            "platgen:   {name}: {files} file{plural}, {:.2} ms",
            took.as_secs_f64() * 1000.0
        );
    };
    let mut all: Vec<(String, (usize, Duration))> = all.into_iter().collect();
    all.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(&b.0)));
    let (files, took) = all
        .iter()
        .fold((0, Duration::ZERO), |(n, t), (_, (files, took))| {
            (n + files, t + *took)
        });
    line("every template", files, took);
    for (template, (files, took)) in all.into_iter().take(TEMPLATES_SHOWN) {
        line(&template, files, took);
    }
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

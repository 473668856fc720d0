//! Ctrl-C, `kill` and a closed terminal (SIGINT, SIGTERM, SIGHUP) during `platgen render`.
//!
//! Killed where it stands, a render leaves every file wholly old or wholly new, but the files it
//! had staged (`.platgen-tmp-*`) stay in the output directory, and in `git status`, until the
//! next render removes them. Once [`catch`] is called, the first of these signals is a request
//! instead: the rendering threads stop at their next file, and a commit that has not started
//! replacing files stops before it does. The render then fails as any other does (staged files
//! deleted, moved files put back: the output directory as it was), and platgen ends by the same
//! signal, so a shell or a script sees what it sent ([`end`]). A request that arrives once files
//! are being replaced waits for the commit: finishing it is the quickest way back to a
//! consistent output directory. A second signal ends platgen at once, as without [`catch`].

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostics::Diagnostic;

/// The code of the diagnostic a stage stopped by a request returns (see [`stop_if_requested`]).
pub const CODE: &str = "E0505";

/// The number of the first signal that asked platgen to stop; 0 while none has.
static REQUESTED: AtomicUsize = AtomicUsize::new(0);

/// A signal that asked platgen to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(pub i32);

/// Its name (`SIGINT`), or its number when it has no usual one.
impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            1 => f.write_str("SIGHUP"),
            2 => f.write_str("SIGINT"),
            15 => f.write_str("SIGTERM"),
            n => write!(f, "signal {n}"),
        }
    }
}

impl Signal {
    /// The exit code a shell reports for a process this signal ended: 128 + its number.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(u8::MAX)
    }
}

/// Makes SIGINT, SIGTERM and SIGHUP a request to stop (see the module's documentation). A
/// signal platgen was started with ignored stays ignored: `nohup platgen render` keeps running
/// when its terminal closes, and a background job of a script ignores the Ctrl-C meant for the
/// script. Where signals cannot be caught (not Unix), or registering fails, they keep their
/// default action.
pub fn catch() {
    // Once: registered twice, the first signal would find the flag its first registration set
    // and end the process.
    #[cfg(unix)]
    static ONCE: std::sync::Once = std::sync::Once::new();
    #[cfg(unix)]
    ONCE.call_once(|| {
        use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
        static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            if ignored(signal) {
                continue;
            }
            let Ok(number) = usize::try_from(signal) else {
                continue;
            };
            // In this order: the second signal finds the flag the first one set and ends the
            // process by the signal's default action.
            let _ = signal_hook::flag::register_conditional_default(signal, &ARMED);
            let _ = signal_hook::flag::register(signal, &ARMED);
            // Only the first signal is kept: a later one ends the process before it counts.
            let _ = signal_hook::flag::register_usize(signal, &REQUESTED, number);
        }
    });
}

/// Whether `signal` is ignored (`SIG_IGN`), or its action cannot be read: either way, not one
/// to catch. A handler would otherwise replace the ignoring that `nohup` or a shell set up.
#[cfg(unix)]
fn ignored(signal: libc::c_int) -> bool {
    // SAFETY: `sigaction` is plain data, for which all zeroes is a valid value.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: with a null new action, sigaction(2) only writes the current one to `current`, a
    // valid and writable `sigaction`; it changes nothing.
    let read = unsafe { libc::sigaction(signal, std::ptr::null(), &raw mut current) } == 0;
    !read || current.sa_sigaction == libc::SIG_IGN
}

/// The signal that asked platgen to stop, if one has.
pub fn requested() -> Option<Signal> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        n => i32::try_from(n).ok().map(Signal),
    }
}

/// `Err` with an [`CODE`] diagnostic when a signal has asked platgen to stop: for the stages
/// that return diagnostics, at the points where stopping still leaves everything as it was.
pub fn stop_if_requested() -> Result<(), Diagnostic> {
    match requested() {
        None => Ok(()),
        Some(signal) => Err(Diagnostic::error(CODE, format!("stopped by {signal}"))),
    }
}

/// Ends platgen by `signal`'s default action, as the signal would have without [`catch`], so the
/// shell that sent it sees a process it ended (a loop of renders stops at Ctrl-C); exits with
/// code 128 + its number where that is not possible.
pub fn end(signal: Signal) -> ! {
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::emulate_default_handler(signal.0);
    }
    std::process::exit(i32::from(signal.exit_code()))
}

/// Sends SIGINT to platgen itself, as Ctrl-C would: for the tests of debug builds that stop a
/// render at a chosen point (`PLATGEN_TEST_SIGNAL_*`). The handler has run when it returns.
#[cfg(debug_assertions)]
pub(crate) fn raise_for_test() {
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::signal::SIGINT);
    }
}

/// Debug builds: [`raise_for_test`] when the variable `variable` is set (to anything).
#[cfg(debug_assertions)]
pub(crate) fn raise_for_test_if(variable: &str) {
    if std::env::var_os(variable).is_some() {
        raise_for_test();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_is_named_and_exits_as_a_shell_reports_it() {
        assert_eq!(Signal(2).to_string(), "SIGINT");
        assert_eq!(Signal(15).to_string(), "SIGTERM");
        assert_eq!(Signal(1).to_string(), "SIGHUP");
        assert_eq!(Signal(10).to_string(), "signal 10");
        assert_eq!(Signal(2).exit_code(), 130);
        assert_eq!(Signal(15).exit_code(), 143);
        assert_eq!(Signal(1).exit_code(), 129);
    }
}

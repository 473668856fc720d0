//! Lines for the person at the terminal, on stdout and stderr. `println!` and `eprintln!` panic
//! when their stream is gone (`platgen render | head -0`, a closed terminal, a full disk behind
//! a redirect), after the run has done its work; these lose the line instead, and the exit
//! code still says how the run went.

use std::io::Write;

/// Writes one line to `stream`, ignoring a stream that cannot take it.
pub fn line(mut stream: impl Write, args: std::fmt::Arguments<'_>) {
    let _ = stream.write_fmt(format_args!("{args}\n"));
}

/// `println!` that never panics (see [`crate::console`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::console::line(::std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics (see [`crate::console`]).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::console::line(::std::io::stderr().lock(), format_args!($($arg)*))
    };
}

/// Reports a panic as what it is to a user, a bug in platgen, instead of Rust's message for
/// developers (a thread's name, advice on `RUST_BACKTRACE`); with `RUST_BACKTRACE` set, the
/// backtrace follows.
pub fn report_panics_as_bugs() {
    std::panic::set_hook(Box::new(|info| {
        let what = info.payload_as_str().unwrap_or("no message");
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        errln!("{}", bug_report(what, &at));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            errln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// What a user reads when platgen panics.
fn bug_report(what: &str, at: &str) -> String {
    format!(
        "error: platgen {} stopped on an internal error: {what}{at}\n\
         help: this is a bug in platgen, not in your input; please report it with the command \
         and the platform.toml that caused it",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that takes nothing.
    struct Gone;

    impl Write for Gone {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_is_written_whole_or_lost_without_a_panic() {
        let mut text = Vec::new();
        line(&mut text, format_args!("{} files", 3));
        assert_eq!(text, b"3 files\n");
        line(Gone, format_args!("lost"));
    }
}

//! Reading the platform file: bounded in size, decoded as UTF-8 (see [`crate::load::decode`]),
//! with an error that says what is wrong with the path and where the file may be.

use std::path::{Path, PathBuf};

use crate::Failure;
use crate::diagnostics::{Diagnostic, SourceFile};
use crate::load;

/// The largest platform file platgen reads: far beyond any real platform (1000 services take
/// under 1 MiB), and small enough that `--config` naming the wrong file (a log, `/dev/zero`)
/// fails at once instead of filling the memory.
pub const MAX_PLATFORM_BYTES: u64 = 64 << 20;

/// The bytes of the file at `path`, up to one more than [`MAX_PLATFORM_BYTES`]. The buffer
/// starts at the size the file says it has (a bounded read cannot tell `read_to_end`), so a
/// regular file is read in one or two calls instead of reads doubling from 32 bytes.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    let size = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_PLATFORM_BYTES);
    // One byte more, so the read that finds the end has room without growing the buffer.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    file.take(MAX_PLATFORM_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads the platform file. A file that is not UTF-8 is invalid input, located at its first
/// invalid byte.
pub fn read_source(path: &Path) -> Result<SourceFile, Failure> {
    let bytes = read_bounded(path).map_err(|e| {
        let problem = match e.kind() {
            std::io::ErrorKind::NotFound => "does not exist".to_owned(),
            std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
            _ => format!("cannot be read: {e}"),
        };
        let mut help = "pass the platform file with --config FILE".to_owned();
        if e.kind() == std::io::ErrorKind::NotFound
            && let Some(folder) = nearest_above(path)
        {
            help.push_str(&format!(
                ": the nearest {} is in {} (--config {})",
                path.display(),
                folder.display(),
                folder.join(path).display()
            ));
        }
        Failure::Environment(vec![
            Diagnostic::error("E0100", format!("{} {problem}", path.display())).help(help),
        ])
    })?;
    if bytes.len() as u64 > MAX_PLATFORM_BYTES {
        return Err(Failure::Environment(vec![
            Diagnostic::error(
                "E0100",
                format!(
                    "{} is larger than {} MiB: too large for a platform file",
                    path.display(),
                    MAX_PLATFORM_BYTES >> 20
                ),
            )
            .help("pass the platform file with --config FILE"),
        ]));
    }
    match load::decode(path, bytes) {
        (source, None) => Ok(source),
        (source, Some(diagnostic)) => Err(Failure::Invalid {
            diagnostics: vec![diagnostic],
            source: Some(source),
        }),
    }
}

/// For a platform file named without a folder (the default `platform.toml`) that is not in
/// the current directory: the nearest folder above that holds it, as a relative path (`../..`),
/// for the help of the error. platgen itself never looks there.
fn nearest_above(path: &Path) -> Option<PathBuf> {
    if path.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
        return None;
    }
    let here = std::env::current_dir().ok()?;
    let mut up = PathBuf::new();
    for dir in here.ancestors().skip(1) {
        up.push("..");
        if dir.join(path).is_file() {
            return Some(up);
        }
    }
    None
}

//! Line endings a checkout converted: git's `core.autocrlf` (on by default in Git for Windows,
//! and in `actions/checkout` on Windows runners) turns every LF of the files it checks out
//! into CRLF in the working tree.
//!
//! - platgen's inputs (`platform.toml`, template overrides) are read with CRLF made LF
//!   ([`lf`]), so a converted checkout renders the same bytes as any other.
//! - A file of a committed `out/` so converted holds what platgen wrote, line endings aside: it
//!   was not edited by hand, and the fix is in `.gitattributes`, not in `platform.toml`.
//!   platgen writes LF only, so it is still a difference; `check` and `diff` name it as what it
//!   is (`lf_hash`), and `render` rewrites it with LF.

use crate::output::manifest::hash;

/// `text` with every CRLF made LF (a CR elsewhere is kept).
pub fn lf(text: String) -> String {
    if text.contains("\r\n") {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

/// The SHA-256 of `bytes` with every CRLF turned back into LF, when they have a CRLF at all:
/// if it is what platgen wrote there, only the line endings changed since (platgen writes no
/// CR before a line ending).
pub(crate) fn lf_hash(bytes: &[u8]) -> Option<String> {
    let first = memchr::memmem::find(bytes, b"\r\n")?;
    let mut lf = Vec::with_capacity(bytes.len());
    lf.extend_from_slice(&bytes[..first]);
    let mut rest = &bytes[first..];
    while let Some(at) = memchr::memmem::find(rest, b"\r\n") {
        lf.extend_from_slice(&rest[..at]);
        lf.push(b'\n');
        rest = &rest[at + 2..];
    }
    lf.extend_from_slice(rest);
    Some(hash(&lf))
}

/// What to do about it, for an output directory the user calls `out` (from the repository's
/// root, where `.gitattributes` names paths from): the attribute that keeps checkouts from
/// converting its files.
pub fn advice(out: &str) -> String {
    let out = out.trim_end_matches('/');
    format!("`{out}/** -text` in .gitattributes keeps LF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_is_read_back_as_lf_and_nothing_else_is_touched() {
        let written = hash(b"a: 1\nb: 2\n");
        assert_eq!(
            lf_hash(b"a: 1\r\nb: 2\r\n").as_deref(),
            Some(written.as_str())
        );
        assert_eq!(
            lf_hash(b"a: 1\r\nb: 2\n").as_deref(),
            Some(written.as_str())
        );
        assert_eq!(lf_hash(b"a: 1\nb: 2\n"), None, "no CRLF");
        for other in [
            &b"a: 1\r\nb: 3\r\n"[..],
            b"a: 1\r\r\nb: 2\r\n",
            b"a: 1\n\rb: 2\r\n",
        ] {
            assert!(
                lf_hash(other).is_some_and(|h| h != written),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn lf_turns_only_crlf_pairs() {
        assert_eq!(lf("a\r\nb\rc\n\r".to_owned()), "a\nb\rc\n\r");
        assert_eq!(lf("a\nb".to_owned()), "a\nb");
    }

    #[test]
    fn the_advice_names_the_output_directory() {
        assert_eq!(
            advice("deploy/out/"),
            "`deploy/out/** -text` in .gitattributes keeps LF"
        );
    }
}

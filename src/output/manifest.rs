//! The ownership manifest `out/.platgen-manifest`: every file platgen wrote, with its hash.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// File name of the manifest inside the output directory.
pub const MANIFEST_NAME: &str = ".platgen-manifest";

/// Paths platgen owns, each with the SHA-256 of the content it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Relative path → hex SHA-256.
    pub entries: BTreeMap<String, String>,
}

/// Hex SHA-256 of some bytes.
pub fn hash(content: &[u8]) -> String {
    hex(&Sha256::digest(content))
}

/// A digest in lower-case hex.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut text = String::with_capacity(digest.len() * 2);
    push_hex(&mut text, digest);
    text
}

/// Appends `bytes` in lower-case hex, two digits a byte.
pub(crate) fn push_hex(text: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Appends one `sha256  path` line (the form of the manifest and of the cache's entries).
pub(crate) fn push_line(text: &mut String, path: &str, hash: &str) {
    text.push_str(hash);
    text.push_str("  ");
    text.push_str(path);
    text.push('\n');
}

impl Manifest {
    /// Parses the manifest; unreadable lines are ignored (the file is platgen's own), and so are
    /// paths that could leave the output directory, so an edited manifest cannot make platgen
    /// prune (delete) files outside it.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once("  "))
            .filter(|(_, path)| super::check_path(path).is_ok())
            .map(|(hash, path)| (path.to_owned(), hash.to_owned()))
            .collect();
        Self { entries }
    }

    /// Serialises the manifest, sorted by path.
    pub fn to_text(&self) -> String {
        let mut text = String::from(
            "# Files written by platgen: `sha256  path`. platgen prunes and checks these; do not edit.\n",
        );
        for (path, hash) in &self.entries {
            push_line(&mut text, path, hash);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn round_trips() {
        let mut m = Manifest::default();
        m.entries.insert("a/b.yaml".into(), hash(b"x"));
        assert_eq!(Manifest::parse(&m.to_text()), m);
    }

    #[test]
    fn ignores_paths_outside_the_output_directory() {
        let text = format!(
            "{h}  ../victim.txt\n{h}  /etc/passwd\n{h}  a/../../b\n{h}  ok/file.yaml\n",
            h = hash(b"x")
        );
        let parsed = Manifest::parse(&text);
        assert_eq!(parsed.entries.keys().collect::<Vec<_>>(), ["ok/file.yaml"]);
    }
}

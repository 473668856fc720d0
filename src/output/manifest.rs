//! The ownership manifest `out/.platgen-manifest`: every file platgen wrote, with its hash.

use std::collections::BTreeMap;

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
    hex(&sha256(content))
}

/// The SHA-256 digest of some bytes.
pub fn sha256(content: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, content);
    let mut bytes = [0; 32];
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

/// A digest in lower-case hex.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut text = String::with_capacity(digest.len() * 2);
    push_hex(&mut text, digest);
    text
}

/// Appends `bytes` in lower-case hex, two digits a byte. The digits of up to 32 bytes are
/// written into a buffer and appended at once: the records and the manifest hold tens of
/// thousands of digests, and a character at a time was most of the cost of writing them.
pub(crate) fn push_hex(text: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for chunk in bytes.chunks(32) {
        let mut digits = [0u8; 64];
        for (pair, b) in digits.chunks_exact_mut(2).zip(chunk) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0xf)];
        }
        // Hex digits are ASCII: this never falls back.
        text.push_str(std::str::from_utf8(&digits[..2 * chunk.len()]).unwrap_or_default());
    }
}

/// Appends one `sha256  path` line (the form of the manifest and of the cache's entries).
pub(crate) fn push_line(text: &mut String, path: &str, hash: &str) {
    text.push_str(hash);
    text.push_str("  ");
    text.push_str(path);
    text.push('\n');
}

/// The first line of every manifest platgen writes.
const HEADER: &str =
    "# Files written by platgen: `sha256  path`. platgen prunes and checks these; do not edit.";

/// Characters of a bad line quoted in the report.
const QUOTED_CHARS: usize = 60;

/// The first line of a manifest that is not as platgen writes it (see [`Manifest::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Its number, from 1.
    pub line: usize,
    /// What is wrong with it: `is not \`sha256  path\`: "junk"`.
    pub problem: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} {}", self.line, self.problem)
    }
}

/// `text` quoted, cut at [`QUOTED_CHARS`] characters.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// Whether `hash` is a SHA-256 as platgen writes it: 64 lower-case hex digits.
pub(crate) fn is_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Manifest {
    /// Parses the manifest. It is well-formed when it is exactly what [`Manifest::to_text`]
    /// writes: the header, then one `sha256  path` line per file (64 lower-case hex digits, two
    /// spaces, a path inside the output directory), sorted by path, each path once, every line
    /// ending in a newline. Anything else is reported as the first [`Malformed`] line, and a
    /// line that is not a well-formed entry is not an entry: platgen never owns, prunes or
    /// trusts a path because of it, so an edited manifest cannot make platgen delete files
    /// outside the output directory (or any file it did not write).
    pub fn parse(bytes: &[u8]) -> (Self, Option<Malformed>) {
        let mut entries = Entries::default();
        let mut first: Option<Malformed> = None;
        let mut report = |line: usize, problem: String| {
            first.get_or_insert(Malformed { line, problem });
        };
        if bytes.is_empty() {
            report(1, "is missing: the file is empty".to_owned());
        }
        // A last line without its newline may be cut short: it is no entry.
        let (whole, cut) = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(end) => bytes.split_at(end + 1),
            None => (&[][..], bytes),
        };
        let lines = whole
            .strip_suffix(b"\n")
            .map(|body| body.split(|&b| b == b'\n'));
        let mut crlf = false;
        for (index, line) in lines.into_iter().flatten().enumerate() {
            let number = index + 1;
            // A checkout that converted line endings (see crate::line_endings) leaves every
            // entry as it was: it still says what platgen owns. Reported once, at its first line.
            let line = match line.strip_suffix(b"\r") {
                Some(line) => {
                    if !crlf {
                        crlf = true;
                        report(
                            number,
                            "ends in CRLF: a checkout converted the line endings".to_owned(),
                        );
                    }
                    line
                }
                None => line,
            };
            let Ok(text) = std::str::from_utf8(line) else {
                report(number, "is not UTF-8".to_owned());
                continue;
            };
            if index == 0 {
                if text == HEADER {
                    continue;
                }
                // Even a good entry in its place: the entry still counts.
                report(number, "is not platgen's header".to_owned());
            }
            if let Err(problem) = entries.add(text) {
                report(number, problem);
            }
        }
        if !cut.is_empty() {
            let number = whole.iter().filter(|&&b| b == b'\n').count() + 1;
            report(
                number,
                "does not end in a newline (the file is cut short)".to_owned(),
            );
        }
        (entries.into_manifest(), first)
    }

    /// The BLAKE3 digest of [`Manifest::to_text`], without holding the text: the up-to-date
    /// cache records it to tell at once that a manifest on disk is not the one a render left.
    pub fn text_digest(&self) -> [u8; 32] {
        const CHUNK: usize = 64 * 1024;
        let mut hasher = blake3::Hasher::new();
        let mut text = String::with_capacity(CHUNK + 1024);
        text.push_str(HEADER);
        text.push('\n');
        for (path, hash) in &self.entries {
            push_line(&mut text, path, hash);
            if text.len() >= CHUNK {
                hasher.update(text.as_bytes());
                text.clear();
            }
        }
        hasher.update(text.as_bytes());
        hasher.finalize().into()
    }

    /// Serialises the manifest, sorted by path.
    pub fn to_text(&self) -> String {
        let mut text = String::with_capacity(HEADER.len() + 1);
        text.push_str(HEADER);
        text.push('\n');
        for (path, hash) in &self.entries {
            push_line(&mut text, path, hash);
        }
        text
    }
}

/// The entries of a manifest being parsed, in the order of its lines. A manifest platgen wrote
/// is sorted, so each path is known new by comparing it with the greatest so far; the paths
/// are looked up in a set only once a line breaks the order. The map is built in one pass at
/// the end instead of by a lookup per line (a thousand-service manifest has 24,000 lines
/// whose paths share long prefixes).
#[derive(Default)]
struct Entries<'t> {
    lines: Vec<(&'t str, &'t str)>,
    /// The path of the line before.
    last: Option<&'t str>,
    /// The greatest path so far.
    greatest: Option<&'t str>,
    /// Every path so far, once a line has broken the order.
    seen: Option<std::collections::HashSet<&'t str>>,
}

impl<'t> Entries<'t> {
    /// Adds the entry on a `sha256  path` line; says what is wrong with any other line (which
    /// adds nothing, unless it is merely out of order).
    fn add(&mut self, line: &'t str) -> Result<(), String> {
        let Some((hash, path)) = line.split_once("  ").filter(|(hash, _)| is_hash(hash)) else {
            return Err(format!("is not `sha256  path`: {}", quoted(line)));
        };
        if super::check_path(path).is_err() {
            return Err(format!(
                "names a path outside the output directory: {}",
                quoted(path)
            ));
        }
        let new = if self.greatest.is_none_or(|greatest| greatest < path) {
            self.greatest = Some(path);
            if let Some(seen) = &mut self.seen {
                seen.insert(path);
            }
            true
        } else {
            let lines = &self.lines;
            self.seen
                .get_or_insert_with(|| lines.iter().map(|&(path, _)| path).collect())
                .insert(path)
        };
        if !new {
            return Err(format!("lists {} again", quoted(path)));
        }
        self.lines.push((path, hash));
        let sorted = self.last.is_none_or(|before| before < path);
        self.last = Some(path);
        if sorted {
            Ok(())
        } else {
            Err(format!("is out of order: {}", quoted(path)))
        }
    }

    fn into_manifest(self) -> Manifest {
        Manifest {
            // Sorted already unless a line broke the order: then sorted here.
            entries: self
                .lines
                .into_iter()
                .map(|(path, hash)| (path.to_owned(), hash.to_owned()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_digest_is_the_digest_of_the_text() {
        let mut manifest = Manifest::default();
        assert_eq!(
            manifest.text_digest(),
            *blake3::hash(manifest.to_text().as_bytes()).as_bytes()
        );
        // Enough lines to hash in several pieces.
        for i in 0..3000 {
            manifest.entries.insert(
                format!("env/kubernetes/svc-{i:04}/deployment.yaml"),
                hash(&[i as u8]),
            );
        }
        assert!(manifest.to_text().len() > 3 * 64 * 1024);
        assert_eq!(
            manifest.text_digest(),
            *blake3::hash(manifest.to_text().as_bytes()).as_bytes()
        );
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
        // Longer than one buffer: every byte, in order.
        let bytes: Vec<u8> = (0..=255).collect();
        let mut text = String::from("x");
        push_hex(&mut text, &bytes);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(text, format!("x{expected}"));
    }

    #[test]
    fn hashes_are_the_sha256_that_sha256sum_prints() {
        // FIPS 180-2's examples: a manifest line must be checkable with `sha256sum -c`.
        assert_eq!(
            hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hash(&million),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn round_trips() {
        let mut m = Manifest::default();
        m.entries.insert("a/b.yaml".into(), hash(b"x"));
        m.entries.insert("a/c.yaml".into(), hash(b"y"));
        assert_eq!(Manifest::parse(m.to_text().as_bytes()), (m.clone(), None));
        let empty = Manifest::default();
        assert_eq!(Manifest::parse(empty.to_text().as_bytes()), (empty, None));
    }

    /// The manifest of `lines` (after the header), parsed: its paths and its first bad line.
    fn parsed(lines: &str) -> (Vec<String>, Option<String>) {
        let text = format!("{HEADER}\n{lines}");
        let (manifest, malformed) = Manifest::parse(text.as_bytes());
        (
            manifest.entries.into_keys().collect(),
            malformed.map(|m| m.to_string()),
        )
    }

    /// What [`Manifest::parse`] must make of `paths` (each on a good entry line): every path
    /// once, the first of any repeats, and the first line that repeats or breaks the order.
    fn expected(paths: &[&str]) -> (Vec<String>, Option<String>) {
        let mut entries = BTreeMap::new();
        let mut first = None;
        let mut last: Option<&str> = None;
        for (i, path) in paths.iter().enumerate() {
            let line = i + 2;
            if entries.contains_key(*path) {
                first = first.or(Some(format!("line {line} lists {path:?} again")));
                continue;
            }
            entries.insert(path.to_string(), ());
            if last.is_some_and(|before| before >= *path) {
                first = first.or(Some(format!("line {line} is out of order: {path:?}")));
            }
            last = Some(path);
        }
        (entries.into_keys().collect(), first)
    }

    #[test]
    fn repeats_and_disorder_anywhere_are_found_as_a_lookup_per_line_would() {
        let h = hash(b"x");
        let pool = ["a", "a/b", "a/c", "b", "b/a", "c"];
        // Every sequence of up to four lines from the pool: sorted, shuffled, repeated.
        let mut cases = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<&str>> = cases
                .iter()
                .filter(|c: &&Vec<&str>| c.len() == cases.last().map_or(0, Vec::len))
                .flat_map(|c| {
                    pool.iter().map(move |p| {
                        let mut c = c.clone();
                        c.push(*p);
                        c
                    })
                })
                .collect();
            cases.extend(longer);
        }
        assert_eq!(cases.len(), 1 + 6 + 36 + 216 + 1296);
        for paths in &cases {
            let lines: String = paths.iter().map(|p| format!("{h}  {p}\n")).collect();
            assert_eq!(parsed(&lines), expected(paths), "{paths:?}");
        }
    }

    /// A manifest whose line endings a checkout converted keeps every entry: platgen still
    /// knows what it owns, and rewrites the manifest.
    #[test]
    fn a_manifest_converted_to_crlf_keeps_its_entries() {
        let mut m = Manifest::default();
        m.entries.insert("a/b.yaml".into(), hash(b"x"));
        m.entries.insert("a/c.yaml".into(), hash(b"y"));
        let converted = m.to_text().replace('\n', "\r\n");
        let (parsed, malformed) = Manifest::parse(converted.as_bytes());
        assert_eq!(parsed, m);
        assert_eq!(
            malformed.map(|m| m.to_string()).as_deref(),
            Some("line 1 ends in CRLF: a checkout converted the line endings")
        );
    }

    #[test]
    fn paths_outside_the_output_directory_are_no_entries_and_reported() {
        let h = hash(b"x");
        let (paths, bad) = parsed(&format!(
            "{h}  ../victim.txt\n{h}  /etc/passwd\n{h}  a/../../b\n{h}  ok/file.yaml\n"
        ));
        assert_eq!(paths, ["ok/file.yaml"]);
        assert_eq!(
            bad.as_deref(),
            Some("line 2 names a path outside the output directory: \"../victim.txt\"")
        );
    }

    #[test]
    fn every_departure_from_what_platgen_writes_names_its_line() {
        let h = hash(b"x");
        let cases: [(String, &str); 9] = [
            (
                format!("{h}  a.yaml\nnot a manifest line\n"),
                "line 3 is not `sha256  path`: \"not a manifest line\"",
            ),
            (
                format!("{h}  a.yaml\n\n"),
                "line 3 is not `sha256  path`: \"\"",
            ),
            (
                format!("{}  a.yaml\n", &h[..63]),
                "line 2 is not `sha256  path`",
            ),
            (
                format!("{}  a.yaml\n", h.to_uppercase()),
                "line 2 is not `sha256  path`",
            ),
            (
                format!("{h}  b.yaml\n{h}  a.yaml\n"),
                "line 3 is out of order: \"a.yaml\"",
            ),
            (
                format!("{h}  a.yaml\n{h}  a.yaml\n"),
                "line 3 lists \"a.yaml\" again",
            ),
            (
                format!("{h}  a.yaml"),
                "line 2 does not end in a newline (the file is cut short)",
            ),
            (
                format!("{h}  a.yaml\n# a comment\n"),
                "line 3 is not `sha256  path`",
            ),
            (format!("{h}  {}\n", "x".repeat(100)), "line 2 is"),
        ];
        for (lines, expected) in &cases[..8] {
            let (_, bad) = parsed(lines);
            let bad = bad.unwrap_or_default();
            assert!(bad.starts_with(expected), "{lines:?}: {bad:?}");
        }
        // A long path is a good entry; a long bad line is quoted short.
        assert_eq!(parsed(&cases[8].0).1, None);
        let (_, bad) = parsed(&format!("{}\n", "y".repeat(100)));
        assert!(
            bad.unwrap_or_default()
                .ends_with(&format!("{:?}…", "y".repeat(60)))
        );
        // Not UTF-8, no header, empty.
        let mut bytes = format!("{HEADER}\n{h}  a").into_bytes();
        bytes.extend(b"\xff.yaml\n");
        assert_eq!(
            Manifest::parse(&bytes).1.map(|m| m.to_string()).as_deref(),
            Some("line 2 is not UTF-8")
        );
        // Without its header, a manifest's entries are still platgen's.
        let (manifest, bad) = Manifest::parse(format!("{h}  a.yaml\n").as_bytes());
        let bad = bad.map(|m| m.to_string());
        assert_eq!(bad.as_deref(), Some("line 1 is not platgen's header"));
        assert!(manifest.entries.contains_key("a.yaml"));
        let bad = Manifest::parse(b"junk\n").1.map(|m| m.to_string());
        assert_eq!(bad.as_deref(), Some("line 1 is not platgen's header"));
        assert_eq!(
            Manifest::parse(b"").1.map(|m| m.to_string()).as_deref(),
            Some("line 1 is missing: the file is empty")
        );
    }
}

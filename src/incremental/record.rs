//! The text of a record: a header line, then one line per file, `fingerprint hash content
//! inode size mtime mtime_ns ctime ctime_ns executable racy path` (`content` is the BLAKE3
//! digest of the file's bytes, or `-` when not known; `executable` and `racy` are `1` or `0`).

use std::collections::HashMap;

use super::{Checked, FINGERPRINT_BYTES, FileStat, HASH_BYTES, HashPrefix, Record};
use crate::output::manifest::push_hex;

/// First line of every record; a record without it is ignored.
const HEADER: &str = "platgen known files 4";

/// The first bytes of a hex SHA-256.
pub(super) fn hash_prefix(hex: &str) -> Option<HashPrefix> {
    let mut prefix = [0; HASH_BYTES];
    from_hex(hex.get(..2 * HASH_BYTES)?, &mut prefix)?;
    Some(prefix)
}

/// Decodes lower-case hex into exactly `out`.
pub(super) fn from_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    (bytes.len() == 2 * out.len()).then_some(())?;
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

pub(super) fn to_text(lines: &[(&str, Record)]) -> String {
    let mut text = String::with_capacity(64 + lines.len() * 224);
    text.push_str(HEADER);
    text.push('\n');
    for (path, r) in lines {
        let s = &r.checked.stat;
        push_hex(&mut text, &r.fingerprint);
        text.push(' ');
        push_hex(&mut text, &r.hash);
        text.push(' ');
        match &r.content {
            Some(digest) => push_hex(&mut text, digest),
            None => text.push('-'),
        }
        for number in [s.ino, s.size] {
            text.push(' ');
            push_decimal(&mut text, number);
        }
        for number in [s.mtime.0, s.mtime.1, s.ctime.0, s.ctime.1] {
            text.push(' ');
            if number < 0 {
                text.push('-');
            }
            push_decimal(&mut text, number.unsigned_abs());
        }
        text.push_str(if s.executable { " 1" } else { " 0" });
        text.push_str(if r.checked.racy { " 1 " } else { " 0 " });
        text.push_str(path);
        text.push('\n');
    }
    text
}

/// Appends `n` in decimal (a record holds tens of thousands of numbers).
fn push_decimal(text: &mut String, n: u64) {
    let mut magnitude = n;
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // A digit: the remainder is below 10.
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    // Appended at once, not a character at a time; digits are ASCII, so this never falls back.
    text.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

/// The records of `text`; `None` when it is not a record.
pub(super) fn parse(text: &str) -> Option<HashMap<String, Record>> {
    let mut lines = text.lines();
    (lines.next()? == HEADER).then_some(())?;
    // Lines are about 215 bytes: room for them all without counting them first.
    let mut records = HashMap::with_capacity(text.len() / 192);
    for line in lines {
        let (path, record) = parse_line(line)?;
        records.insert(path, record);
    }
    Some(records)
}

/// One record's line: `fingerprint hash content inode size mtime mtime_ns ctime ctime_ns
/// executable racy path`.
/// Read field by field in place (a record has tens of thousands of lines).
fn parse_line(line: &str) -> Option<(String, Record)> {
    let mut rest = line;
    let mut fingerprint = [0; FINGERPRINT_BYTES];
    from_hex(field(&mut rest)?, &mut fingerprint)?;
    let mut hash = [0; HASH_BYTES];
    from_hex(field(&mut rest)?, &mut hash)?;
    let content = match field(&mut rest)? {
        "-" => None,
        hex => {
            let mut digest = [0; 32];
            from_hex(hex, &mut digest)?;
            Some(digest)
        }
    };
    let ino = unsigned(field(&mut rest)?)?;
    let size = unsigned(field(&mut rest)?)?;
    let mtime = (signed(field(&mut rest)?)?, signed(field(&mut rest)?)?);
    let ctime = (signed(field(&mut rest)?)?, signed(field(&mut rest)?)?);
    let executable = flag(field(&mut rest)?)?;
    let racy = flag(field(&mut rest)?)?;
    // The rest of the line, spaces and all.
    let path = rest.to_owned();
    let stat = FileStat {
        ino,
        size,
        mtime,
        ctime,
        executable,
    };
    let record = Record {
        fingerprint,
        hash,
        content,
        checked: Checked { stat, racy },
    };
    Some((path, record))
}

/// The field at the start of `rest`, up to its space; `rest` moves past the space. `None`
/// when no space follows (every field but the path has one).
fn field<'t>(rest: &mut &'t str) -> Option<&'t str> {
    let end = memchr::memchr(b' ', rest.as_bytes())?;
    let field = &rest[..end];
    *rest = &rest[end + 1..];
    Some(field)
}

/// `1` or `0`.
fn flag(text: &str) -> Option<bool> {
    match text {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// A decimal as [`push_decimal`] writes it: digits only.
fn unsigned(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, b| {
        let digit = b.wrapping_sub(b'0');
        (digit < 10).then_some(())?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A decimal with an optional `-`, as [`to_text`] writes times.
fn signed(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(magnitude) => 0i64.checked_sub_unsigned(unsigned(magnitude)?),
        None => i64::try_from(unsigned(text)?).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incremental::tests::stat;

    #[test]
    fn records_round_trip_sorted_by_path() {
        let record = |n: u8| Record {
            fingerprint: [n; FINGERPRINT_BYTES],
            hash: [0xab; HASH_BYTES],
            // Known for one, not for the other.
            content: (n == 1).then_some([0xcd; 32]),
            checked: Checked {
                stat: FileStat {
                    executable: n == 1,
                    ..stat(1_700_000_000, 123_456_789)
                },
                racy: n.is_multiple_of(2),
            },
        };
        let lines = [("a b/c.yaml", record(1)), ("d/é.yaml", record(2))];
        let parsed = parse(&to_text(&lines)).expect("a record");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed["a b/c.yaml"], record(1));
        assert_eq!(parsed["d/é.yaml"], record(2));
    }

    #[test]
    fn anything_but_a_whole_record_is_none() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("something else\n"), None);
        let (f, h, c) = ("0".repeat(32), "0".repeat(16), "0".repeat(64));
        for good in [
            format!("{f} {h} {c} 1 2 3 4 5 6 0 0 p"),
            format!("{f} {h} - 1 2 3 4 5 6 0 0 p"),
        ] {
            assert!(parse(&format!("{HEADER}\n{good}\n")).is_some(), "{good}");
        }
        for bad in [
            format!("{} {h} {c} 1 2 3 4 5 6 0 0 p", "0".repeat(31)),
            format!("{} {h} {c} 1 2 3 4 5 6 0 0 p", "G".repeat(32)),
            format!("{f} {h} {c} 1 2 3 4 5 6"),
            format!("{f} {h} {c} 1 2 3 4 5 6 2 0 p"),
            format!("{f} {h} {c} -1 2 3 4 5 6 0 0 p"),
            format!("{f} {h} {c} 1 2 3 4 5 6 0 2 p"),
            format!("{f} {h} {} 1 2 3 4 5 6 0 0 p", "0".repeat(63)),
            format!("{f} {h} -- 1 2 3 4 5 6 0 0 p"),
            // Records of the formats before: no content digest; no execute bit.
            format!("{f} {h} 1 2 3 4 5 6 0 0 p"),
            format!("{f} {h} {c} 1 2 3 4 5 6 0 p"),
        ] {
            assert_eq!(parse(&format!("{HEADER}\n{bad}\n")), None, "{bad}");
        }
    }

    #[test]
    fn numbers_read_back_exactly_as_written_and_nothing_else() {
        for n in [0, 7, 10, 1_700_000_000, u64::MAX] {
            let mut text = String::new();
            push_decimal(&mut text, n);
            assert_eq!(unsigned(&text), Some(n), "{text}");
        }
        assert_eq!(signed("-1"), Some(-1));
        assert_eq!(signed(&i64::MIN.to_string()), Some(i64::MIN));
        assert_eq!(signed(&i64::MAX.to_string()), Some(i64::MAX));
        for bad in ["", "-", "+1", " 1", "1a", "18446744073709551616", "--1"] {
            assert_eq!(unsigned(bad), None, "{bad:?}");
            assert_eq!(signed(bad), None, "{bad:?}");
        }
        assert_eq!(signed("9223372036854775808"), None);
        assert_eq!(signed("-9223372036854775809"), None);
    }

    #[test]
    fn hash_prefixes_take_lower_case_hex_only() {
        assert_eq!(
            hash_prefix("0123456789abcdefff"),
            Some([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        );
        assert_eq!(hash_prefix("0123456789ABCDEF"), None);
        assert_eq!(hash_prefix("0123"), None);
    }
}

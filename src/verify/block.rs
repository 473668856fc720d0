//! A fast reader for the block-style YAML that platgen writes: block mappings and sequences,
//! plain, single- and double-quoted scalars, literal block scalars (`|`, `|-`, `|+`), one-line
//! flow sequences and empty flow collections, and comments. Parsing back tens of megabytes of
//! rules, tests and manifests with a general YAML parser costs more than rendering them; this
//! reads them in one pass over the lines.
//!
//! It is strict by construction: anything outside that subset — anchors, tags, folded or
//! multi-line scalars, flow mappings, tabs, document markers, duplicate keys, unknown escapes,
//! plain keys YAML reads as a null, a bool or a number — makes it decline (`None`), and
//! verification then parses the file with the full YAML parser, which has the last word.
//! Whatever it accepts is YAML a full parser reads as the same tree; `tests` hold it to
//! serde-saphyr on every file the example platforms render and on random documents.

use std::borrow::Cow;

mod line;
mod node;

use line::{double_quoted, end_of_value, flow_seq, key_split, plain, single_quoted};
use node::typed_key;
pub use node::{Node, Scalar};

/// Parses a whole document, or declines (tests; verification reads through [`parse_to`]).
#[cfg(test)]
pub fn parse(text: &str) -> Option<Node<'_>> {
    read(text, usize::MAX)
}

/// Parses a whole document, or declines, building the tree only `depth` levels down (the
/// document is at 0, its entries or items at 1): deeper collections come back empty and deeper
/// block scalars as [`Node::Empty`]. Everything is read and checked all the same; the shape
/// checks look only near the top, and a tree of every value in tens of megabytes of manifests
/// costs more than reading them.
pub fn parse_to(text: &str, depth: usize) -> Option<Node<'_>> {
    read(text, depth)
}

/// Whether the reader accepts a whole document (as [`parse_to`] would), building no tree: for
/// files whose shape is not checked.
pub fn accepts(text: &str) -> bool {
    read(text, 0).is_some()
}

fn read(text: &str, keep_to: usize) -> Option<Node<'_>> {
    if !printable(text) {
        return None;
    }
    let mut parser = Parser {
        lines: lines_of(text),
        at: 0,
        depth: 0,
        keep_to,
        peeked: None,
        keys: Vec::new(),
    };
    let node = parser.block(0)?;
    // Only blank and comment lines may follow.
    parser.peek().is_none().then_some(node)
}

/// The lines of `text`, as [`str::lines`] gives them to a text without carriage returns (which
/// [`printable`] rules out): found in one vectorised scan for line breaks rather than a search
/// per line, most lines being short.
fn lines_of(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..end]);
        start = end + 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Whether `text` holds only characters YAML allows unescaped, and none this reader leaves to
/// the full parser (tabs, carriage returns, a byte-order mark).
fn printable(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Branch-free over blocks of ASCII, so the compiler can vectorise the common case.
    let control = bytes.chunks(64).any(|chunk| {
        chunk.iter().fold(false, |bad, &b| {
            bad | ((b < 0x20) & (b != b'\n')) | (b == 0x7f)
        })
    });
    if control {
        return false;
    }
    if text.is_ascii() {
        return true;
    }
    !bytes.iter().enumerate().any(|(i, &b)| match b {
        // U+0080–U+009F other than NEL (C2 85), and U+FEFF, U+FFFE, U+FFFF (EF BB BF, EF BF BE/BF).
        0xc2 => bytes
            .get(i + 1)
            .is_some_and(|&n| (0x80..=0x9f).contains(&n) && n != 0x85),
        0xef => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
        ),
        _ => false,
    })
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    at: usize,
    /// The depth of the nodes being read: the document is at 0, its entries or items at 1.
    depth: usize,
    /// The depth of the deepest nodes to build (see [`parse_to`]).
    keep_to: usize,
    /// The last [`Parser::peek`]: the line it found and its indentation.
    peeked: Option<(usize, usize)>,
    /// The keys of the mappings being read, outermost first (see [`Keys`]).
    keys: Vec<Cow<'a, str>>,
}

/// `text` without its leading spaces (a byte scan: a space is ASCII).
fn skip_spaces(text: &str) -> &str {
    &text[text.bytes().take_while(|&b| b == b' ').count()..]
}

fn indent_of(line: &str) -> usize {
    line.len() - skip_spaces(line).len()
}

/// Whether `rest` (a line without its indentation) starts a sequence item.
fn is_item(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

impl<'a> Parser<'a> {
    /// The next content line as (indent, text without indentation), past blank and comment-only
    /// lines (outside block scalars).
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        if let Some((at, indent)) = self.peeked
            && at == self.at
        {
            return Some((indent, &self.lines[at][indent..]));
        }
        // Each line's indentation is measured once, blank and comment lines included.
        loop {
            let line = *self.lines.get(self.at)?;
            let indent = indent_of(line);
            let rest = &line[indent..];
            if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                continue;
            }
            self.peeked = Some((self.at, indent));
            return Some((indent, rest));
        }
    }

    /// A block node indented at least `min`, or [`Node::Empty`] when the next line is not.
    fn block(&mut self, min: usize) -> Option<Node<'a>> {
        let Some((indent, rest)) = self.peek() else {
            return Some(Node::Empty);
        };
        if indent < min {
            return Some(Node::Empty);
        }
        if rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%') {
            return None;
        }
        if is_item(rest) {
            self.seq(indent)
        } else if rest.starts_with(['[', '{']) {
            // A flow collection on a line of its own (`data:` then `  {}`): nothing more
            // indented than the parent may follow it.
            self.at += 1;
            self.inline(rest, min.saturating_sub(1))
        } else {
            self.at += 1;
            self.map(indent, key_split(rest)?)
        }
    }

    /// A block sequence whose `- ` markers are at `indent`.
    fn seq(&mut self, indent: usize) -> Option<Node<'a>> {
        self.depth += 1;
        let node = self.seq_items(indent);
        self.depth -= 1;
        node
    }

    /// [`Parser::seq`]'s items, one level down.
    fn seq_items(&mut self, indent: usize) -> Option<Node<'a>> {
        let keep = self.depth <= self.keep_to;
        let mut items = Vec::new();
        while let Some((at, rest)) = self.peek() {
            if at < indent || (at == indent && !is_item(rest)) {
                break;
            }
            if at > indent {
                return None;
            }
            self.at += 1;
            let after = skip_spaces(&rest[1..]);
            let column = indent + (rest.len() - after.len());
            let item = if after.is_empty() || after.starts_with('#') {
                self.block(indent + 1)?
            } else if is_item(after) {
                return None;
            } else if let Some(first) = key_split(after) {
                self.map(column, first)?
            } else {
                self.inline(after, indent)?
            };
            if keep {
                items.push(item);
            }
        }
        Some(Node::Seq(items))
    }

    /// A block mapping at `indent` whose first entry is `first` (already consumed and split
    /// into its key and the rest of its line).
    fn map(&mut self, indent: usize, first: (Cow<'a, str>, &'a str)) -> Option<Node<'a>> {
        self.depth += 1;
        let mut keys = Keys::new(&self.keys);
        let node = self.map_entries(indent, first, &mut keys);
        self.keys.truncate(keys.base);
        self.depth -= 1;
        node
    }

    /// [`Parser::map`]'s entries, one level down; `keys` start where the stack stood.
    fn map_entries(
        &mut self,
        indent: usize,
        first: (Cow<'a, str>, &'a str),
        keys: &mut Keys,
    ) -> Option<Node<'a>> {
        let keep = self.depth <= self.keep_to;
        let mut entries: Vec<(Cow<'a, str>, Node<'a>)> = Vec::new();
        let mut split = first;
        loop {
            let (key, value) = split;
            if !keys.insert(&mut self.keys, key.clone()) {
                return None;
            }
            let value = skip_spaces(value);
            let node = if value.is_empty() || value.starts_with('#') {
                match self.peek() {
                    Some((at, rest)) if at == indent && is_item(rest) => self.seq(indent)?,
                    _ => self.block(indent + 1)?,
                }
            } else {
                self.inline(value, indent)?
            };
            if keep {
                entries.push((key, node));
            }
            match self.peek() {
                Some((at, rest)) if at == indent && !is_item(rest) => {
                    self.at += 1;
                    split = key_split(rest)?;
                }
                Some((at, _)) if at > indent => return None,
                _ => break,
            }
        }
        Some(Node::Map(entries))
    }

    /// A value on the same line as its key or `- ` (`parent` is that line's indentation).
    fn inline(&mut self, text: &'a str, parent: usize) -> Option<Node<'a>> {
        let node = match text.as_bytes()[0] {
            b'"' => {
                let (value, rest) = double_quoted(text)?;
                end_of_value(rest)?;
                Node::Scalar(Scalar {
                    text: value,
                    plain: false,
                })
            }
            b'\'' => {
                let (value, rest) = single_quoted(text)?;
                end_of_value(rest)?;
                Node::Scalar(Scalar {
                    text: value,
                    plain: false,
                })
            }
            b'[' => {
                let (mut items, rest) = flow_seq(text)?;
                end_of_value(rest)?;
                if self.depth >= self.keep_to {
                    items.clear();
                }
                Node::Seq(items)
            }
            b'{' => {
                let rest = skip_spaces(&text[1..]).strip_prefix('}')?;
                end_of_value(rest)?;
                Node::Map(Vec::new())
            }
            b'|' => return self.literal(text, parent),
            _ => Node::Scalar(Scalar {
                text: Cow::Borrowed(plain(text, false)?),
                plain: true,
            }),
        };
        // A value on its line ends the node: a more indented line after it would continue it.
        match self.peek() {
            Some((at, _)) if at > parent => None,
            _ => Some(node),
        }
    }

    /// A literal block scalar: `header` is `|`, `|-` or `|+` (and maybe a comment); its lines
    /// are indented more than `parent`.
    fn literal(&mut self, header: &str, parent: usize) -> Option<Node<'a>> {
        let (chomp, rest) = match header.as_bytes().get(1) {
            Some(b'-') => (Chomp::Strip, &header[2..]),
            Some(b'+') => (Chomp::Keep, &header[2..]),
            _ => (Chomp::Clip, &header[1..]),
        };
        end_of_value(rest)?;
        let start = self.at;
        // The content indentation is that of the first non-blank line.
        let first = self.lines[start..]
            .iter()
            .find(|l| !skip_spaces(l).is_empty())
            .map(|l| indent_of(l));
        let content = match first {
            Some(i) if i > parent => i,
            _ => parent + 1,
        };
        let mut lines: Vec<&'a str> = Vec::new();
        while let Some(&line) = self.lines.get(self.at) {
            let blank = skip_spaces(line).is_empty();
            if blank {
                // Leading blank lines longer than the content indentation are an error in YAML.
                if lines.iter().all(|l| l.is_empty()) && line.len() > content {
                    return None;
                }
                lines.push(line.get(content..).unwrap_or(""));
            } else if indent_of(line) >= content {
                lines.push(&line[content..]);
            } else if indent_of(line) > parent {
                return None;
            } else {
                break;
            }
            self.at += 1;
        }
        // Trailing blank lines belong to the scalar only under `|+`; otherwise they are
        // separation, and a following comment line ends the scalar either way.
        let kept = lines.len();
        let mut end = kept;
        while end > 0 && lines[end - 1].is_empty() {
            end -= 1;
        }
        if self.depth > self.keep_to {
            return Some(Node::Empty);
        }
        let mut text = lines[..end].join("\n");
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip if end > 0 => text.push('\n'),
            Chomp::Clip => {}
            Chomp::Keep => {
                if end > 0 {
                    text.push('\n');
                }
                for _ in end..kept {
                    text.push('\n');
                }
            }
        }
        Some(Node::Scalar(Scalar {
            text: Cow::Owned(text),
            plain: false,
        }))
    }
}

/// How many keys [`Keys`] compares one by one.
const COMPARE_UP_TO: usize = 16;

/// The keys of the mapping being read, to find a duplicate (which YAML forbids): compared one
/// by one while they are few, then through a set of key hashes. Two keys with the same hash
/// count as duplicates; the reader then declines, which is never wrong. The keys compared one by
/// one sit on a stack that nested mappings share ([`Parser::keys`]), each above its parent's, so
/// reading a mapping of a few keys (nearly every one) allocates nothing for them.
struct Keys {
    /// Where this mapping's keys start on the stack.
    base: usize,
    many: std::collections::HashSet<u64>,
}

impl Keys {
    /// The keys of a mapping whose reading starts with `stack` as it is.
    fn new(stack: &[Cow<'_, str>]) -> Self {
        Self {
            base: stack.len(),
            many: std::collections::HashSet::new(),
        }
    }

    /// Adds `key`; false when it is (or may be) already there. A nested mapping read since the
    /// last key left the stack as it found it: [`Parser::map`] truncates it to its `base`.
    fn insert<'a>(&mut self, stack: &mut Vec<Cow<'a, str>>, key: Cow<'a, str>) -> bool {
        use std::hash::{BuildHasher as _, RandomState};
        static STATE: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
        let hash = |k: &str| STATE.get_or_init(RandomState::new).hash_one(k);
        let few = &stack[self.base..];
        if few.len() < COMPARE_UP_TO {
            if few.contains(&key) {
                return false;
            }
            stack.push(key);
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(few.iter().map(|k| hash(k)));
        }
        self.many.insert(hash(&key))
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::diagnostics::SourceFile;

    #[test]
    fn lines_are_split_as_str_lines_splits_them() {
        for text in [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\nb",
            "a\n\nb\n",
            "key: value\n  - item\n\n# comment\nlast",
            "é\nß: \"ü\"\n",
        ] {
            assert_eq!(lines_of(text), text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }

    /// Whether the reader agrees with a full parser on `text`: it may decline anything, but what
    /// it accepts must be valid YAML that reads as the same tree, and its `text()` must be the
    /// full parser's string wherever it gives one. Returns whether it accepted.
    fn agrees(text: &str) -> bool {
        let full: Result<Value, _> = serde_saphyr::from_str(text);
        let parsed = parse(text);
        assert_eq!(
            accepts(text),
            parsed.is_some(),
            "accepts and parse disagree:\n{text}"
        );
        for depth in [2, 5] {
            assert_eq!(
                parse_to(text, depth),
                parsed.as_ref().map(|whole| pruned(whole, 0, depth)),
                "{depth} levels of:\n{text}"
            );
        }
        let Some(node) = parsed else {
            return false;
        };
        let full = match full {
            Ok(value) => value,
            Err(e) => panic!("accepted YAML a full parser rejects ({e}):\n{text}"),
        };
        if let Some(at) = mismatch(&node, &full) {
            panic!("read differently at {at}:\n{text}");
        }
        true
    }

    /// Where the reader's tree and the full parser's first differ.
    fn mismatch(node: &Node<'_>, value: &Value) -> Option<String> {
        let here = || Some(format!("{node:?} vs {value:?}"));
        match (node, value) {
            (Node::Empty, Value::Null) => None,
            // Text exactly where the full parser reads a string (or, plain, not text at all:
            // the reader may be more careful than needed).
            (Node::Scalar(s), Value::String(v))
                if s.text == *v && (node.text() == Some(v) || s.plain && node.text().is_none()) =>
            {
                None
            }
            // Typed by the full parser: the reader must not call it text.
            (Node::Scalar(s), Value::Bool(_) | Value::Number(_) | Value::Null)
                if s.plain && node.text().is_none() =>
            {
                None
            }
            (Node::Seq(items), Value::Array(values)) if items.len() == values.len() => items
                .iter()
                .zip(values)
                .enumerate()
                .find_map(|(i, (n, v))| mismatch(n, v).map(|m| format!("[{i}] {m}"))),
            (Node::Map(entries), Value::Object(map)) if entries.len() == map.len() => {
                entries.iter().find_map(|(k, n)| match map.get(k.as_ref()) {
                    Some(v) => mismatch(n, v).map(|m| format!(".{k} {m}")),
                    None => Some(format!(
                        "key {k:?} missing from {:?}",
                        map.keys().collect::<Vec<_>>()
                    )),
                })
            }
            _ => here(),
        }
    }

    /// Every YAML file the repository's platforms render (the example platforms and the test
    /// fixtures, `tests/fixtures/hostile.toml` among them).
    fn rendered_yaml() -> Vec<(String, crate::render::RenderedFile)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = vec![SourceFile::new(
            "platform.toml",
            std::fs::read_to_string(root.join("platform.toml")).expect("platform.toml"),
        )];
        for dir in ["tests/platforms", "tests/fixtures"] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .expect("examples")
                .flatten()
                .map(|e| e.path())
                .collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).expect("example");
                sources.push(SourceFile::new(&path, text));
            }
        }
        let mut files = Vec::new();
        for source in sources {
            let name = source.path.display().to_string();
            let compiled =
                crate::compile(source, None, None).unwrap_or_else(|_| panic!("{name} compiles"));
            files.extend(
                compiled
                    .files
                    .into_iter()
                    .filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
                    .map(|f| (format!("{name}: {}", f.path), f)),
            );
        }
        files
    }

    #[test]
    fn reads_every_rendered_file_as_a_full_parser_does() {
        let files = rendered_yaml();
        assert!(files.len() > 200, "{} files", files.len());
        for (name, file) in &files {
            assert!(
                agrees(&file.content),
                "declined {name}: verification would be slow"
            );
            let doc = parse(&file.content).expect("accepted");
            assert!(
                super::super::check_yaml(file, &doc).is_ok(),
                "{name}: in shape, but not to the fast reader: verification would be slow"
            );
            if let Some(depth) = super::super::shape_depth(&file.path) {
                let shallow = parse_to(&file.content, depth).expect("accepted");
                assert!(
                    super::super::check_yaml(file, &shallow).is_ok(),
                    "{name}: in shape, but not to the tree {depth} levels deep: the depth its \
                     checks need is wrong, and verification would be slow"
                );
            }
        }
    }

    /// `node` (at `level`) as [`parse_to`] builds it `depth` levels down.
    fn pruned<'a>(node: &Node<'a>, level: usize, depth: usize) -> Node<'a> {
        let keep = level < depth;
        match node {
            Node::Seq(items) if keep => {
                Node::Seq(items.iter().map(|i| pruned(i, level + 1, depth)).collect())
            }
            Node::Map(entries) if keep => Node::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), pruned(v, level + 1, depth)))
                    .collect(),
            ),
            Node::Seq(_) => Node::Seq(Vec::new()),
            Node::Map(_) => Node::Map(Vec::new()),
            other => other.clone(),
        }
    }

    #[test]
    fn a_shallow_tree_is_the_whole_tree_cut_at_its_depth() {
        let files = rendered_yaml();
        let deep = "a:\n  b:\n  - c: |\n      text\n    d: [1, \"x\"]\n  e: |+\n    kept\n\n";
        let texts = files.iter().map(|(_, f)| f.content.as_str()).chain([deep]);
        for text in texts {
            let whole = parse(text).expect("accepted");
            for depth in 0..8 {
                assert_eq!(
                    parse_to(text, depth).as_ref(),
                    Some(&pruned(&whole, 0, depth)),
                    "{depth} levels of:\n{text}"
                );
            }
        }
    }

    #[test]
    fn accepts_only_yaml_a_full_parser_reads_the_same_way() {
        // Every rendered file, cut and spliced: deterministic pseudo-random damage.
        let files = rendered_yaml();
        let splices = [
            "",
            " ",
            "  ",
            "\n",
            "- ",
            ": ",
            " #",
            "#",
            "\"",
            "'",
            "|",
            "|-",
            "[",
            "]",
            "{}",
            "\\",
            "\\x4",
            "&a ",
            "*a",
            "!t ",
            "? ",
            ",",
            "\t",
            "---\n",
            "key: value\n",
            "  - x\n",
            ":",
            "-",
        ];
        let mut next = crate::testing::numbers(0x9e37_79b9_7f4a_7c15);
        // Which file, where to cut and what to splice in, drawn in order; then read on every
        // core (the full parser is slow in a test build).
        let damage: Vec<(&str, usize, usize, &str)> = (0..4000)
            .map(|round| {
                let content = files[next(files.len())].1.content.as_str();
                let mut at = next(content.len() + 1);
                while !content.is_char_boundary(at) {
                    at -= 1;
                }
                let mut cut = at + next(4);
                while cut > content.len() || !content.is_char_boundary(cut) {
                    cut -= 1;
                }
                (content, at, cut, splices[round % splices.len()])
            })
            .collect();
        let agreed = crate::parallel::map(&damage, |&(content, at, cut, splice)| {
            agrees(&format!("{}{splice}{}", &content[..at], &content[cut..]))
        });
        let accepted = agreed.iter().filter(|&&a| a).count();
        let declined = agreed.len() - accepted;
        assert!(
            accepted > 100 && declined > 100,
            "{accepted} accepted, {declined} declined"
        );
    }

    /// A mapping of 40 keys `k0`…`k39`, then `last`.
    fn many_keys_then(last: &str) -> String {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str(&format!("{last}: x\n"));
        text
    }

    /// Short documents strung together from YAML's trickiest pieces (indicators, escapes,
    /// typed words, indentation): the reader may decline any, and must read the rest as a full
    /// parser does. It found the sign a hex escape's digits could take and the keys YAML reads
    /// as null, bools or numbers.
    #[test]
    fn random_token_documents_read_as_a_full_parser_does() {
        let tokens = [
            "a",
            "b",
            "k",
            ": ",
            ":",
            " ",
            "  ",
            "\n",
            "\n  ",
            "\n    ",
            "- ",
            "-",
            "#",
            " #",
            "\"",
            "'",
            "\\",
            "\\x",
            "\\u",
            "\\U",
            "+",
            "0",
            "1",
            "f",
            "F",
            "d8",
            "00",
            "é",
            "[",
            "]",
            "{",
            "}",
            ",",
            "|",
            "|-",
            "|+",
            ">",
            "&",
            "*",
            "!",
            "?",
            "%",
            "@",
            "`",
            "~",
            "null",
            "yes",
            "\\n",
            "\\\"",
            "''",
            "\t",
            "x y",
            "1.5",
            "-1",
            ".5",
            "0x1",
            "\u{85}",
            "\u{2028}",
            "\n- k: ",
            "\n  - ",
            "x: |\n  t\n",
            "\"a\": ",
            "'k': ",
            "\n\n",
            "[a, b]",
            "{}",
            "[]",
            "\n  k: v",
        ];
        let mut next = crate::testing::numbers(0x2545_f491_4f6c_dd1d);
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut doc: String = (0..1 + next(12))
                .map(|_| tokens[next(tokens.len())])
                .collect();
            doc.push('\n');
            if agrees(&doc) {
                accepted += 1;
            }
        }
        assert!(accepted > 1000, "{accepted} accepted");
    }

    #[test]
    fn hand_picked_cases() {
        let cases = [
            // Accepted.
            ("a: 1\nb: \"x\\ty\"\nc: 'it''s'\nd:\n- 1\n- two\n", true),
            (
                "k:\n  - name: a\n    run: |\n      echo a\n\n      echo b\n    x: y\n",
                true,
            ),
            ("l: [\"a\", b, 'c']\ne: []\nm: {}\n", true),
            (
                "s: |-\n  no newline\nt: |+\n  kept\n\nu: x # comment\n",
                true,
            ),
            ("\"quoted key\": v\nurl: http://example.com:80/x\n", true),
            ("# only a comment\n", true),
            ("data:\n  {}\nitems:\n  []\n", true),
            ("data:\n  {}\n  x: 1\n", false),
            // Declined: outside the subset or not YAML at all.
            ("a: &x 1\nb: *x\n", false),
            ("a: !!str 1\n", false),
            ("a: >\n  folded\n", false),
            ("a: b\n  c\n", false),
            ("a: {b: c}\n", false),
            ("a: b: c\n", false),
            ("a: 1\na: 2\n", false),
            // The keys on the stack nested mappings share: one key at every level, the same
            // keys in sibling mappings, and a duplicate after a nested mapping.
            ("a:\n  a: 1\n  b:\n    a: 2\nb: 3\n", true),
            ("x:\n  k: 1\ny:\n  k: 2\nz:\n- k: 1\n- k: 2\n", true),
            ("x:\n  k: 1\n  m:\n    k: 2\n  k: 3\n", false),
            (&many_keys_then("k7"), false),
            (&many_keys_then("other"), true),
            ("a:\n\tb: 1\n", false),
            ("---\na: 1\n", false),
            ("a: \"open\n", false),
            ("a: [b, c\n", false),
            ("a: [b #c]\n", false),
            ("a #b: c\n", false),
            ("- a\nb: c\n", false),
            ("a: \"\\q\"\n", false),
            ("a: \"x\u{1}y\"\n", false),
            ("a: x\u{7f}y\n", false),
            ("a: x\u{80}y\n", false),
            ("a: \u{feff}x\n", false),
            ("a: héllo ✓\n", true),
            // Where the first `: ` and ` #` of a line are, multi-byte characters or not.
            ("é: ü #c\nb:c: d\nf : g\nh: i:j #k: l\nm: #n\n", true),
            ("ü #x: y\n", false),
            ("a:: b\n", false),
            ("a: b #c: d\n", true),
            // Escapes, decoded; hex digits are digits (`from_str_radix` alone takes a `+`).
            ("a: \"q\\\"x\\\\y\\u00e9\\x41\\U0001F600\\N\" # c\n", true),
            ("a: \"\\x+1\"\n", false),
            // Keys YAML reads as null, bools or numbers are the full parser's (GitHub's `on` is
            // a string in YAML 1.2).
            ("1: a\n0x1: b\n", false),
            ("null: x\n", false),
            ("k:\n  ~: x\n", false),
            ("TRUE: x\n", false),
            ("\"1\": a\n\"0x1\": b\n", true),
            ("on: push\n", true),
            ("a: \"\\u+041\"\n", false),
            ("a: \"\\ud800\"\n", false),
            ("a: \"tail\\\"\n", false),
            ("- é: ü\n  k: \"v\" # c\n", true),
            ("a: |2\n  x\n", false),
            ("a:\n  b: 1\n c: 2\n", false),
        ];
        for (text, accepted) in cases {
            assert_eq!(agrees(text), accepted, "{text}");
        }
    }

    #[test]
    fn text_is_only_what_is_certainly_a_string() {
        let doc = parse("a: yes\nb: \"yes\"\nc: 0755\nd: v1\ne: -x\nf: .5\n").expect("parses");
        let text = |key| doc.get(key).and_then(Node::text);
        assert_eq!(
            ["a", "b", "c", "d", "e", "f"].map(text),
            [None, Some("yes"), None, Some("v1"), None, None]
        );
    }
}

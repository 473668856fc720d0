//! What a planned file is rendered from, as digests, so that a render can tell a file whose
//! inputs did not change without rendering it (see [`crate::incremental`]).
//!
//! A file's content is a function of this build of platgen, the templates, its template's name,
//! its path and the parts of the model its context (and the Rust that builds its context) reads.
//! The planner names those parts: a file of one service reads the platform's shared settings
//! (`Platform` serialised: its services and environments are not part of it), its environment's
//! own settings (`ResolvedEnv` serialised, likewise without services) and that service. Each
//! part is digested once, however many files share it, and only when a render asks. A file
//! built from a whole environment's services (the kustomization, a workflow) names no parts:
//! it is [`Inputs::Context`], known by its context when planning builds it (the template sees
//! exactly that value, digested by [`write_value`]); one whose context is built only when it
//! renders (an overview dashboard) always renders. A runbook or a compose file, which list
//! every service, name the settings they read and a part of their own ([`Part::shared`]): the
//! value their context is made of when they render (`plan::paged`).
//!
//! A part is digested as its serde serialisation, in the compact encoding of the `encoding` module
//! rather than as JSON: two values whose encodings are equal would serialise to the same JSON
//! too, and encoding takes a fraction of the time (no escaping, no decimal numbers). The parts
//! are the serialised model, so a field the serialisation skips must never decide a file that
//! names parts; `tests/incremental.rs` renders platforms changed one service at a
//! time and checks that every file whose fingerprint stayed the same kept its bytes.

mod encoding;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use minijinja::value::{Value, ValueKind};
use serde::Serialize;

/// A BLAKE3 digest. Fingerprints never leave platgen's cache, so they need not be the SHA-256
/// the manifest gives a file's content: BLAKE3 is as collision-resistant, and on a CPU without
/// SHA instructions several times faster (a thousand-service render digests about 100 MB of
/// serialised parts and contexts to tell which files to render).
pub type Digest = [u8; 32];

type Compute<'a> = Box<dyn Fn() -> Option<Digest> + Send + Sync + 'a>;

/// A part of the model that files are rendered from, digested on first use.
pub struct Part<'a> {
    digest: OnceLock<Option<Digest>>,
    compute: Compute<'a>,
}

impl<'a> Part<'a> {
    /// The part holding `value`, digested as its serialisation.
    pub fn of<T: Serialize + Sync + ?Sized>(value: &'a T) -> Arc<Self> {
        Self::computed(Box::new(move || digest_of(value)))
    }

    /// The part holding a value of its own (made in planning, not part of the model), shared
    /// with whatever else reads it.
    pub fn shared<T: Serialize + Send + Sync + 'a>(value: Arc<T>) -> Arc<Self> {
        Self::computed(Box::new(move || digest_of(&*value)))
    }

    /// The part whose digest `compute` gives, on first use.
    fn computed(compute: Compute<'a>) -> Arc<Self> {
        Arc::new(Self {
            digest: OnceLock::new(),
            compute,
        })
    }

    /// The part's digest; `None` when it cannot be serialised (its files then always render).
    pub fn digest(&self) -> Option<Digest> {
        *self.digest.get_or_init(&self.compute)
    }
}

/// What decides a planned file's content besides the build, the templates, the template's name
/// and the path.
#[derive(Clone, Default)]
pub enum Inputs<'a> {
    /// Its template context, when planning builds it; otherwise not known, and the file always
    /// renders.
    #[default]
    Context,
    /// Exactly these parts.
    Parts(Vec<Arc<Part<'a>>>),
}

impl<'a> Inputs<'a> {
    /// A file read from exactly `parts`.
    pub fn parts(parts: &[&Arc<Part<'a>>]) -> Self {
        Self::Parts(parts.iter().map(|p| Arc::clone(p)).collect())
    }

    /// The fingerprint of a file with these inputs rendered from `template` to `path`, salted
    /// with what identifies the build and the templates; `context` is the file's template
    /// context when planning built it. `None` when not known.
    pub fn fingerprint(
        &self,
        salt: &[u8],
        template: &str,
        path: &str,
        context: Option<&Value>,
    ) -> Option<Digest> {
        let mut hasher = blake3::Hasher::new();
        // Each piece is length-prefixed, so no two different inputs hash the same bytes.
        for piece in [salt, template.as_bytes(), path.as_bytes()] {
            hasher.update(&(piece.len() as u64).to_le_bytes());
            hasher.update(piece);
        }
        match self {
            Self::Parts(parts) => {
                hasher.update(b"parts");
                for part in parts {
                    hasher.update(&part.digest()?);
                }
            }
            Self::Context => {
                hasher.update(b"context");
                // Walked into one buffer, hashed at once: many small updates cost more.
                let mut walked = Vec::new();
                write_value(context?, &mut walked)?;
                hasher.update(&walked);
            }
        }
        Some(hasher.finalize().into())
    }
}

/// Digests every part that `inputs` name, each once, spread over the CPUs. Files that share a
/// part are planned next to each other, so rendering threads that digest parts on first use
/// would mostly wait for one another; asked here first, every digest is ready when they are.
pub fn digest_parts<'i, 'a: 'i>(inputs: impl IntoIterator<Item = &'i Inputs<'a>>) {
    let mut seen = HashSet::new();
    let parts: Vec<&Arc<Part<'a>>> = inputs
        .into_iter()
        .filter_map(|inputs| match inputs {
            Inputs::Parts(parts) => Some(parts),
            Inputs::Context => None,
        })
        .flatten()
        .filter(|part| seen.insert(Arc::as_ptr(part)))
        .collect();
    crate::parallel::map(&parts, |part| part.digest());
}

impl std::fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Context => f.write_str("Context"),
            Self::Parts(parts) => write!(f, "Parts({})", parts.len()),
        }
    }
}

/// A number's text, formatted without allocating.
struct NumberText {
    bytes: [u8; 48],
    len: usize,
}

impl NumberText {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for NumberText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes what identifies a template value into `out`, to be digested: every kind, string (with whether it is marked safe,
/// which decides its escaping), number, key and item, each tagged and length-prefixed. `None`
/// for anything a template could see differently from what this walk sees: an object other
/// than a plain map or sequence (a [`crate::render::Typed`] value, say), or an invalid value.
pub fn write_value(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    let bytes = |out: &mut Vec<u8>, tag: u8, bytes: &[u8]| {
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    match value.kind() {
        ValueKind::Undefined => out.push(0),
        ValueKind::None => out.push(1),
        ValueKind::Bool => out.extend_from_slice(&[2, u8::from(value.is_true())]),
        // The text a template prints: `1` and `1.0` differ, as they do in a file.
        ValueKind::Number => {
            let mut text = NumberText {
                bytes: [0; 48],
                len: 0,
            };
            // Only a huge float's text outgrows the buffer.
            match write!(text, "{value}") {
                Ok(()) => bytes(out, 3, text.as_bytes()),
                Err(_) => bytes(out, 3, value.to_string().as_bytes()),
            }
        }
        ValueKind::String => {
            let tag = if value.is_safe() { 5 } else { 4 };
            bytes(out, tag, value.as_str()?.as_bytes());
        }
        ValueKind::Bytes => bytes(out, 6, value.as_bytes()?),
        ValueKind::Seq | ValueKind::Map => {
            if value
                .downcast_object_ref::<crate::render::Typed>()
                .is_some()
            {
                return None;
            }
            // Items (or key and value pairs) between a start and an end tag no value starts with.
            if value.kind() == ValueKind::Map {
                out.push(8);
                for (key, item) in value.as_object()?.try_iter_pairs()? {
                    write_value(&key, out)?;
                    write_value(&item, out)?;
                }
            } else {
                out.push(7);
                for item in value.try_iter().ok()? {
                    write_value(&item, out)?;
                }
            }
            out.push(9);
        }
        _ => return None,
    }
    Some(())
}

/// The digest of `value` serialised (see the `encoding` module); `None` when it cannot be. Encoded into
/// this thread's buffer first: hashing many small writes one by one costs more.
fn digest_of<T: Serialize + ?Sized>(value: &T) -> Option<Digest> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        encoding::encode(value, buffer).ok()?;
        Some(blake3::hash(buffer).into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_every_input() {
        let (a, b) = (String::from("a"), String::from("b"));
        let (part_a, part_b) = (Part::of(&a), Part::of(&b));
        let inputs = Inputs::parts(&[&part_a]);
        let base = inputs.fingerprint(b"salt", "t", "p", None);
        assert!(base.is_some());
        assert_eq!(
            base,
            Inputs::parts(&[&part_a]).fingerprint(b"salt", "t", "p", None)
        );
        for other in [
            inputs.fingerprint(b"salt2", "t", "p", None),
            inputs.fingerprint(b"salt", "t2", "p", None),
            inputs.fingerprint(b"salt", "t", "p2", None),
            Inputs::parts(&[&part_b]).fingerprint(b"salt", "t", "p", None),
            Inputs::parts(&[&part_a, &part_a]).fingerprint(b"salt", "t", "p", None),
        ] {
            assert_ne!(base, other);
        }
        // Length prefixes: moving a byte from the template to the path is another input.
        assert_ne!(
            inputs.fingerprint(b"s", "ab", "c", None),
            inputs.fingerprint(b"s", "a", "bc", None)
        );
        assert_eq!(Inputs::Context.fingerprint(b"salt", "t", "p", None), None);
    }

    #[test]
    fn every_part_named_is_digested_once_before_rendering_asks() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let computed = AtomicUsize::new(0);
        let counted = |byte: u8| {
            let computed = &computed;
            Part::computed(Box::new(move || {
                computed.fetch_add(1, Ordering::SeqCst);
                Some([byte; 32])
            }))
        };
        let parts: Vec<Arc<Part<'_>>> = (0..40).map(counted).collect();
        // Files sharing parts, as the planner makes them: each part named by several files.
        let inputs: Vec<Inputs<'_>> = (0..200)
            .map(|i| Inputs::parts(&[&parts[0], &parts[i % 40], &parts[(i * 7) % 40]]))
            .chain([Inputs::Context])
            .collect();
        digest_parts(&inputs);
        assert_eq!(computed.load(Ordering::SeqCst), 40);
        for (i, part) in parts.iter().enumerate() {
            assert_eq!(part.digest(), Some([u8::try_from(i).expect("small"); 32]));
        }
        assert_eq!(
            computed.load(Ordering::SeqCst),
            40,
            "asked again, computed once"
        );
    }

    /// A value whose serialisation fails: its part has no digest, so its files always render.
    struct Refuses;

    impl Serialize for Refuses {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }

    #[test]
    fn a_part_that_cannot_be_serialised_has_no_digest_and_its_files_no_fingerprint() {
        let refuses = vec![Refuses];
        let part = Part::of(&refuses);
        assert_eq!(part.digest(), None);
        let shared = Part::shared(Arc::new(Refuses));
        assert_eq!(shared.digest(), None);
        let fine = String::from("a");
        let inputs = Inputs::parts(&[&Part::of(&fine), &part]);
        assert_eq!(inputs.fingerprint(b"salt", "t", "p", None), None);
        assert!(Part::of(&fine).digest().is_some());
    }

    fn digest(value: &Value) -> Option<Digest> {
        let mut walked = Vec::new();
        write_value(value, &mut walked)?;
        Some(blake3::hash(&walked).into())
    }

    #[test]
    fn a_context_digest_tells_apart_whatever_a_template_prints_differently() {
        let map = |pairs: &[(&str, Value)]| Value::from_pairs(pairs.iter().cloned());
        let distinct = [
            Value::from("a"),
            Value::from_safe_string("a".to_owned()),
            Value::from(1),
            Value::from(1.0),
            Value::from(true),
            Value::from(()),
            Value::UNDEFINED,
            Value::from(vec![Value::from("a")]),
            Value::from(vec![Value::from("a"), Value::from("a")]),
            map(&[("a", Value::from(1))]),
            map(&[("a", Value::from(2))]),
            map(&[("b", Value::from(1))]),
            map(&[("a", Value::from(1)), ("b", Value::from(1))]),
        ];
        let digests: Vec<Digest> = distinct
            .iter()
            .map(|v| digest(v).expect("a plain value"))
            .collect();
        for (i, a) in digests.iter().enumerate() {
            for (j, b) in digests.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?}", distinct[i], distinct[j]);
            }
        }
        assert_eq!(
            digest(&map(&[("a", Value::from(1))])),
            digest(&map(&[("a", Value::from(1))]))
        );
        // A value built in Rust for `tojson` is not walked: its file always renders.
        let typed = crate::render::Typed::value(vec![1, 2]);
        assert_eq!(digest(&map(&[("dashboard", typed)])), None);
    }
}

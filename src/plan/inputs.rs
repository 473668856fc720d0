//! What a planned file is rendered from, as digests, so that a render can tell a file whose
//! inputs did not change without rendering it (see [`crate::incremental`]).
//!
//! A file's content is a function of this build of platgen, the templates, its template's name,
//! its path and the parts of the model its context (and the Rust that builds its context) reads.
//! The planner names those parts: a file of one service reads the platform's shared settings
//! (`Platform` serialised: its services and environments are not part of it), its environment's
//! own settings (`ResolvedEnv` serialised, likewise without services) and that service. Each
//! part is digested once, however many files share it, and only when a render asks. A file
//! built from a whole environment's services (a compose file, the kustomization, an overview)
//! names no parts: it is [`Inputs::Unknown`] and always renders.
//!
//! The parts are the serialised model, so a field the serialisation skips must never decide a
//! file that names parts; `tests/incremental.rs` renders platforms changed one service at a
//! time and checks that every file whose fingerprint stayed the same kept its bytes.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest.
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
        Arc::new(Self {
            digest: OnceLock::new(),
            compute: Box::new(move || digest_of(value)),
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
    /// Not known: the file always renders.
    #[default]
    Unknown,
    /// Exactly these parts.
    Parts(Vec<Arc<Part<'a>>>),
}

impl<'a> Inputs<'a> {
    /// A file read from exactly `parts`.
    pub fn parts(parts: &[&Arc<Part<'a>>]) -> Self {
        Self::Parts(parts.iter().map(|p| Arc::clone(p)).collect())
    }

    /// The fingerprint of a file with these inputs rendered from `template` to `path`, salted
    /// with what identifies the build and the templates; `None` when not known.
    pub fn fingerprint(&self, salt: &[u8], template: &str, path: &str) -> Option<Digest> {
        let Self::Parts(parts) = self else {
            return None;
        };
        let mut hasher = Sha256::new();
        // Each piece is length-prefixed, so no two different inputs hash the same bytes.
        for piece in [salt, template.as_bytes(), path.as_bytes()] {
            hasher.update((piece.len() as u64).to_le_bytes());
            hasher.update(piece);
        }
        for part in parts {
            hasher.update(part.digest()?);
        }
        Some(hasher.finalize().into())
    }
}

impl std::fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown => f.write_str("Unknown"),
            Self::Parts(parts) => write!(f, "Parts({})", parts.len()),
        }
    }
}

/// The SHA-256 of `value` serialised as JSON; `None` when it cannot be.
fn digest_of<T: Serialize + ?Sized>(value: &T) -> Option<Digest> {
    struct Hashing(Sha256);
    impl Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    serde_json::to_writer(&mut hashing, value).ok()?;
    Some(hashing.0.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_every_input() {
        let (a, b) = (String::from("a"), String::from("b"));
        let (part_a, part_b) = (Part::of(&a), Part::of(&b));
        let inputs = Inputs::parts(&[&part_a]);
        let base = inputs.fingerprint(b"salt", "t", "p");
        assert!(base.is_some());
        assert_eq!(
            base,
            Inputs::parts(&[&part_a]).fingerprint(b"salt", "t", "p")
        );
        for other in [
            inputs.fingerprint(b"salt2", "t", "p"),
            inputs.fingerprint(b"salt", "t2", "p"),
            inputs.fingerprint(b"salt", "t", "p2"),
            Inputs::parts(&[&part_b]).fingerprint(b"salt", "t", "p"),
            Inputs::parts(&[&part_a, &part_a]).fingerprint(b"salt", "t", "p"),
        ] {
            assert_ne!(base, other);
        }
        // Length prefixes: moving a byte from the template to the path is another input.
        assert_ne!(
            inputs.fingerprint(b"s", "ab", "c"),
            inputs.fingerprint(b"s", "a", "bc")
        );
        assert_eq!(Inputs::Unknown.fingerprint(b"salt", "t", "p"), None);
    }
}

//! What changes per Kubernetes object, for reviewers: the files under `<env>/kubernetes/` are
//! parsed on both sides and compared as data, so a change of key order or formatting is no
//! change, and a real one is named by its field path (`spec.replicas 3 → 5`,
//! `spec.template.spec.containers[0].image …`).

use std::fmt;

use serde_json::Value;

use super::{FileDiff, Status};

/// Field changes listed per object before the rest are only counted.
pub const MAX_FIELDS_PER_OBJECT: usize = 10;

/// Characters of a value shown before it is cut with `…`.
pub const MAX_VALUE_CHARS: usize = 60;

/// `Deployment platform/platform-api`: kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectId {
    /// `kind` (or `?` when missing).
    pub kind: String,
    /// `metadata.namespace`, for namespaced objects.
    pub namespace: Option<String>,
    /// `metadata.name` (absent for a Kustomization).
    pub name: Option<String>,
}

impl ObjectId {
    fn of(value: &Value) -> Self {
        let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
        Self {
            kind: text("/kind").unwrap_or("?").to_owned(),
            namespace: text("/metadata/namespace").map(str::to_owned),
            name: text("/metadata/name").map(str::to_owned),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => write!(f, " {ns}/{name}"),
            (None, Some(name)) => write!(f, " {name}"),
            _ => Ok(()),
        }
    }
}

/// One field whose value differs; values are shown short (see [`MAX_VALUE_CHARS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// `spec.template.spec.containers[0].image`.
    pub path: String,
    /// The value before (None: the field did not exist).
    pub old: Option<String>,
    /// The value after (None: the field is gone).
    pub new: Option<String>,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
        write!(f, "{} {} → {}", self.path, show(&self.old), show(&self.new))
    }
}

/// What happens to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It is created.
    Added,
    /// It is deleted.
    Removed,
    /// These fields change (the first [`MAX_FIELDS_PER_OBJECT`]), and `more` others.
    Modified {
        /// The fields shown.
        fields: Vec<FieldChange>,
        /// How many more changed.
        more: usize,
    },
    /// A side is not a YAML object, so only the text diff can say what changes.
    Unreadable,
}

/// A change to one object of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    /// The environment (the folder above `kubernetes/`).
    pub env: String,
    /// The file it lives in, under the output directory.
    pub path: String,
    /// Which object (after the change, or before it for a removal).
    pub id: ObjectId,
    /// What happens.
    pub change: Change,
}

impl ObjectChange {
    /// The lines shown for it: `+ Kind ns/name`, `- Kind ns/name`, or one
    /// `~ Kind ns/name: path old → new` per field.
    pub fn lines(&self) -> Vec<String> {
        let id = &self.id;
        match &self.change {
            Change::Added => vec![format!("+ {id}")],
            Change::Removed => vec![format!("- {id}")],
            Change::Unreadable => vec![format!(
                "~ {id}: not comparable as YAML (see the diff of {})",
                self.path
            )],
            Change::Modified { fields, more } => {
                let mut lines: Vec<String> = fields
                    .iter()
                    .map(|field| format!("~ {id}: {field}"))
                    .collect();
                if *more > 0 {
                    lines.push(format!("~ {id}: … and {more} more changed fields"));
                }
                lines
            }
        }
    }
}

/// The environment of a Kubernetes file: `production` for `production/kubernetes/x.yaml`.
fn kubernetes_env(path: &str) -> Option<&str> {
    let mut parts = path.split('/');
    let env = parts.next()?;
    let is_yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    (parts.next() == Some("kubernetes") && is_yaml).then_some(env)
}

fn parse(text: &str) -> Option<Value> {
    serde_saphyr::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
}

/// The object-level changes of the Kubernetes files among `files`, in file order. A file whose
/// objects are equal as data (only reordered or reformatted) contributes nothing.
pub fn summarize(files: &[FileDiff]) -> Vec<ObjectChange> {
    let mut changes = Vec::new();
    for file in files {
        let Some(env) = kubernetes_env(&file.path) else {
            continue;
        };
        if file.text_unchanged() {
            continue;
        }
        let change = |id: ObjectId, change: Change| ObjectChange {
            env: env.to_owned(),
            path: file.path.clone(),
            id,
            change,
        };
        let old = (file.status != Status::Added).then(|| parse(&file.old));
        let new = (file.status != Status::Removed).then(|| parse(&file.new));
        match (old, new) {
            (None, Some(Some(new))) => changes.push(change(ObjectId::of(&new), Change::Added)),
            (Some(Some(old)), None) => {
                changes.push(change(ObjectId::of(&old), Change::Removed));
            }
            (Some(Some(old)), Some(Some(new))) => {
                let (old_id, new_id) = (ObjectId::of(&old), ObjectId::of(&new));
                if old_id != new_id {
                    changes.push(change(old_id, Change::Removed));
                    changes.push(change(new_id, Change::Added));
                    continue;
                }
                let mut fields = Vec::new();
                compare(&mut String::new(), Some(&old), Some(&new), &mut fields);
                if !fields.is_empty() {
                    let more = fields.len().saturating_sub(MAX_FIELDS_PER_OBJECT);
                    fields.truncate(MAX_FIELDS_PER_OBJECT);
                    changes.push(change(new_id, Change::Modified { fields, more }));
                }
            }
            (old, new) => {
                let side = new.flatten().or(old.flatten());
                let id = side.as_ref().map_or_else(
                    || ObjectId {
                        kind: file.path.rsplit('/').next().unwrap_or_default().to_owned(),
                        namespace: None,
                        name: None,
                    },
                    ObjectId::of,
                );
                changes.push(change(id, Change::Unreadable));
            }
        }
    }
    changes
}

/// Appends a [`FieldChange`] for every leaf where `old` and `new` differ. Maps are compared by
/// key (order does not matter), lists by index.
fn compare(
    path: &mut String,
    old: Option<&Value>,
    new: Option<&Value>,
    out: &mut Vec<FieldChange>,
) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for key in keys {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                compare(path, a.get(key), b.get(key), out);
                path.truncate(len);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => compare_lists(path, a, b, out),
        (a, b) if a != b => out.push(FieldChange {
            path: path.clone(),
            old: a.map(short),
            new: b.map(short),
        }),
        _ => {}
    }
}

/// Lists aligned by their elements first (a longest common subsequence), so one entry inserted
/// into a list is one added field, not a change at every later index. Elements that take each
/// other's place are compared field by field; indexes are the new list's (the old one's for a
/// removed element).
fn compare_lists(path: &mut String, a: &[Value], b: &[Value], out: &mut Vec<FieldChange>) {
    let key = |list: &[Value]| list.iter().map(Value::to_string).collect::<Vec<_>>();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &key(a), &key(b));
    let mut at = |path: &mut String, i: usize, old: Option<&Value>, new: Option<&Value>| {
        let len = path.len();
        path.push_str(&format!("[{i}]"));
        compare(path, old, new, out);
        path.truncate(len);
    };
    for op in ops {
        let (_, old, new) = op.as_tag_tuple();
        let paired = old.len().min(new.len());
        for k in 0..paired {
            at(
                path,
                new.start + k,
                a.get(old.start + k),
                b.get(new.start + k),
            );
        }
        for i in old.start + paired..old.end {
            at(path, i, a.get(i), None);
        }
        for j in new.start + paired..new.end {
            at(path, j, None, b.get(j));
        }
    }
}

/// Characters of a hex digest shown, as `git log --oneline` shows a commit's.
const DIGEST_CHARS: usize = 12;

/// Whether `s` is a hex digest: 32 (MD5's) or more lowercase hex digits.
fn is_digest(s: &str) -> bool {
    s.len() >= 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A value on one line: plain text when that is unambiguous, JSON otherwise, cut to
/// [`MAX_VALUE_CHARS`].
pub fn short(value: &Value) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || "-_./:@+=,".contains(c))
            && serde_json::from_str::<Value>(s).is_err()
    };
    let text = match value {
        // A digest (the pods' `checksum/config`) says only that it changed: git's short form.
        Value::String(s) if is_digest(s) => return format!("{}…", &s[..DIGEST_CHARS]),
        Value::String(s) if plain(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_readable() {
        assert_eq!(short(&Value::from(3)), "3");
        assert_eq!(short(&Value::from("registry/api:v1")), "registry/api:v1");
        // A string that would read as a number or boolean keeps its quotes.
        assert_eq!(short(&Value::from("3")), "\"3\"");
        assert_eq!(short(&Value::from("true")), "\"true\"");
        assert_eq!(short(&Value::from("a b")), "\"a b\"");
        // A digest is cut to git's short form; a long number is not a digest.
        let digest = "982727a3fceed7881a350d891d2bf92c5dc5d46808f410250cf29bca7f5e1b2c";
        assert_eq!(short(&Value::from(digest)), "982727a3fcee…");
        assert_eq!(short(&Value::from(&digest[..31])), &digest[..31]);
        let not_hex = format!("{}g", &digest[..39]);
        assert_eq!(short(&Value::from(not_hex.as_str())), not_hex);
        let long = short(&Value::from("x".repeat(200)));
        assert_eq!(long.chars().count(), MAX_VALUE_CHARS);
        assert!(long.ends_with('…'));
    }

    fn changes(old: Value, new: Value) -> Vec<String> {
        let mut out = Vec::new();
        compare(&mut String::new(), Some(&old), Some(&new), &mut out);
        out.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn an_inserted_list_entry_is_one_change() {
        let old = serde_json::json!({"resources": ["a.yaml", "b.yaml", "d.yaml"]});
        let new = serde_json::json!({"resources": ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]});
        assert_eq!(
            changes(old.clone(), new.clone()),
            ["resources[2] (none) → c.yaml"]
        );
        assert_eq!(changes(new, old), ["resources[2] c.yaml → (none)"]);
    }

    #[test]
    fn list_entries_that_change_in_place_are_compared_field_by_field() {
        let old = serde_json::json!({"c": [{"name": "api", "image": "x:1"}, {"name": "b"}]});
        let new = serde_json::json!({"c": [{"image": "x:2", "name": "api"}, {"name": "b"}]});
        assert_eq!(changes(old, new), ["c[0].image x:1 → x:2"]);
        // Reordered keys alone are no change.
        let old = serde_json::json!({"c": [{"name": "api", "image": "x:1"}]});
        let new = serde_json::json!({"c": [{"image": "x:1", "name": "api"}]});
        assert_eq!(changes(old, new), Vec::<String>::new());
    }

    #[test]
    fn only_kubernetes_yaml_files_count() {
        assert_eq!(
            kubernetes_env("production/kubernetes/a.yaml"),
            Some("production")
        );
        assert_eq!(kubernetes_env("production/prometheus/a.yaml"), None);
        assert_eq!(kubernetes_env("docker/Dockerfile.api"), None);
    }
}

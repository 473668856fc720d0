//! Stage 8: compare the rendered files with the output directory and write them atomically.
//!
//! Everything is rendered in memory first. Writing stages every new file as a temporary file
//! beside its target (fsynced); only when all are staged are they renamed into place, so a
//! failure leaves the directory as it was and a killed run leaves each file wholly old or new.

pub mod manifest;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;
use crate::render::RenderedFile;
use manifest::{MANIFEST_NAME, Manifest, hash};

/// What a render would do to the output directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// New files.
    pub added: Vec<String>,
    /// Files whose content changes.
    pub modified: Vec<String>,
    /// Owned files no longer rendered.
    pub removed: Vec<String>,
    /// Owned files whose content on disk is not what platgen wrote.
    pub edited_by_hand: Vec<String>,
    /// Files platgen does not own sitting where it would write (with different content).
    pub unowned_conflicts: Vec<String>,
    /// Files already exactly as rendered.
    pub unchanged: usize,
}

impl Changes {
    /// Whether the directory already equals the render.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

/// Which owned paths a render may prune: all of them, or only those of one environment plus the
/// environment-independent ones.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The environment rendered, when `--env` was given.
    pub env: Option<String>,
    /// Every environment name (to tell environment folders from shared ones).
    pub all_envs: Vec<String>,
}

impl Scope {
    fn covers(&self, path: &str) -> bool {
        let Some(env) = &self.env else { return true };
        let first = path.split('/').next().unwrap_or_default();
        first == env || !self.all_envs.iter().any(|e| e == first)
    }
}

fn io_error(what: String, error: std::io::Error) -> Diagnostic {
    Diagnostic::error("E0501", format!("{what}: {error}"))
}

/// Reads the manifest of `out_dir` (empty when there is none).
pub fn read_manifest(out_dir: &Path) -> Result<Manifest, Diagnostic> {
    match fs::read_to_string(out_dir.join(MANIFEST_NAME)) {
        Ok(text) => Ok(Manifest::parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(io_error(
            format!("cannot read {}", out_dir.join(MANIFEST_NAME).display()),
            e,
        )),
    }
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(format!("cannot read {}", path.display()), e)),
    }
}

/// Compares rendered files with the output directory.
pub fn changes(
    out_dir: &Path,
    files: &[RenderedFile],
    scope: &Scope,
) -> Result<Changes, Diagnostic> {
    let manifest = read_manifest(out_dir)?;
    let mut changes = Changes::default();
    let rendered: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for file in files {
        let owned_hash = manifest.entries.get(&file.path);
        match read_existing(&out_dir.join(&file.path))? {
            None => changes.added.push(file.path.clone()),
            Some(bytes) => {
                let on_disk = hash(&bytes);
                if let Some(owned) = owned_hash
                    && *owned != on_disk
                {
                    changes.edited_by_hand.push(file.path.clone());
                }
                if bytes == file.content.as_bytes() {
                    changes.unchanged += 1;
                } else if owned_hash.is_none() {
                    changes.unowned_conflicts.push(file.path.clone());
                } else {
                    changes.modified.push(file.path.clone());
                }
            }
        }
    }
    for (path, owned) in &manifest.entries {
        if rendered.contains(path.as_str()) || !scope.covers(path) {
            continue;
        }
        if let Some(bytes) = read_existing(&out_dir.join(path))? {
            if hash(&bytes) != *owned {
                changes.edited_by_hand.push(path.clone());
            }
            changes.removed.push(path.clone());
        }
    }
    Ok(changes)
}

/// Rejects any rendered path that could escape the output directory.
fn check_path(path: &str) -> Result<(), Diagnostic> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        || path == MANIFEST_NAME;
    if bad {
        Err(Diagnostic::error(
            "E0404",
            format!("refusing to write outside the output directory: {path:?}"),
        ))
    } else {
        Ok(())
    }
}

/// A file staged next to its target, not yet renamed into place.
struct Staged {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

fn stage(dir: &Path, target: PathBuf, content: &[u8]) -> std::io::Result<Staged> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".platgen-");
    // tempfile creates owner-only (0600) files; generated files get the usual mode (umask applies).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(content)?;
    temp.as_file().sync_all()?;
    Ok(Staged { temp, target })
}

/// Creates `dir` and its missing parents, recording each directory created.
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    fs::create_dir(dir)?;
    created.push(dir.to_path_buf());
    Ok(())
}

fn undo_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

/// Writes the render into `out_dir`: only changed files, atomically; prunes stale owned files
/// and the empty directories they leave; updates the manifest. Files platgen does not own are
/// never touched (a conflict with one is an error).
pub fn write(
    out_dir: &Path,
    files: &[RenderedFile],
    scope: &Scope,
) -> Result<Changes, Vec<Diagnostic>> {
    for file in files {
        check_path(&file.path).map_err(|d| vec![d])?;
    }
    let changes = changes(out_dir, files, scope).map_err(|d| vec![d])?;
    if !changes.unowned_conflicts.is_empty() {
        return Err(changes
            .unowned_conflicts
            .iter()
            .map(|path| {
                Diagnostic::error("E0502", format!("{} exists and was not written by platgen", out_dir.join(path).display()))
                    .help("platgen never overwrites files it does not own: move or delete it, then render again")
            })
            .collect());
    }

    let to_write: BTreeSet<&str> = changes
        .added
        .iter()
        .chain(&changes.modified)
        .map(String::as_str)
        .collect();
    let mut created = Vec::new();
    let mut staged = Vec::new();
    for file in files.iter().filter(|f| to_write.contains(f.path.as_str())) {
        let target = out_dir.join(&file.path);
        let dir = target.parent().unwrap_or(out_dir).to_path_buf();
        let result = create_dirs(&dir, &mut created)
            .and_then(|()| stage(&dir, target.clone(), file.content.as_bytes()));
        match result {
            Ok(s) => staged.push(s),
            Err(e) => {
                drop(staged);
                undo_dirs(&created);
                return Err(vec![
                    io_error(format!("cannot write {}", target.display()), e)
                        .help("nothing was changed in the output directory"),
                ]);
            }
        }
    }

    let mut manifest = read_manifest(out_dir).map_err(|d| vec![d])?;
    let mut new_manifest_text = None;
    {
        let removed: BTreeSet<&str> = changes.removed.iter().map(String::as_str).collect();
        manifest
            .entries
            .retain(|path, _| !removed.contains(path.as_str()));
        for file in files {
            manifest
                .entries
                .insert(file.path.clone(), hash(file.content.as_bytes()));
        }
        let text = manifest.to_text();
        if read_existing(&out_dir.join(MANIFEST_NAME))
            .map_err(|d| vec![d])?
            .as_deref()
            != Some(text.as_bytes())
        {
            new_manifest_text = Some(text);
        }
    }
    let manifest_staged = match new_manifest_text {
        Some(text) => match create_dirs(out_dir, &mut created)
            .and_then(|()| stage(out_dir, out_dir.join(MANIFEST_NAME), text.as_bytes()))
        {
            Ok(s) => Some(s),
            Err(e) => {
                drop(staged);
                undo_dirs(&created);
                return Err(vec![io_error(
                    format!("cannot write {}", out_dir.join(MANIFEST_NAME).display()),
                    e,
                )]);
            }
        },
        None => None,
    };

    // Everything is staged: from here on only renames and removals.
    let mut errors = Vec::new();
    for Staged { temp, target } in staged {
        if let Err(e) = temp.persist(&target) {
            errors.push(io_error(
                format!("cannot replace {}", target.display()),
                e.error,
            ));
        }
    }
    for path in &changes.removed {
        let target = out_dir.join(path);
        if let Err(e) = fs::remove_file(&target) {
            errors.push(io_error(
                format!("cannot remove stale {}", target.display()),
                e,
            ));
        }
        remove_empty_parents(out_dir, &target);
    }
    if let Some(Staged { temp, target }) = manifest_staged
        && let Err(e) = temp.persist(&target)
    {
        errors.push(io_error(
            format!("cannot replace {}", target.display()),
            e.error,
        ));
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(errors)
    }
}

fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out_dir || !d.starts_with(out_dir) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// Reads every owned file's current content, for diffs.
pub fn read_owned(
    out_dir: &Path,
    paths: &[String],
) -> Result<BTreeMap<String, Option<String>>, Diagnostic> {
    paths
        .iter()
        .map(|p| {
            let bytes = read_existing(&out_dir.join(p))?;
            Ok((
                p.clone(),
                bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
            ))
        })
        .collect()
}

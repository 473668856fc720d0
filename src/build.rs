//! One file of a render: rendered (or taken as unchanged), compared with the output directory,
//! verified and staged, on whichever rendering thread takes it.

use std::path::Path;

use crate::diagnostics::Diagnostic;
use crate::render::Renderer;
use crate::{incremental, interrupt, output, plan, render, verify};

/// One file built: its path, its content unless it is already on disk byte for byte or staged
/// (when compiled against an output directory), what is on disk there, and its staged copy.
pub(crate) struct Built {
    pub path: String,
    pub content: Option<String>,
    pub observed: Option<output::Observed>,
    pub staged: Option<output::Staged>,
    /// Its fingerprint (see [`incremental`]), when it has one and there is a record to keep it.
    pub fingerprint: Option<plan::inputs::Digest>,
    /// Whether it was taken as rendered, without rendering (see [`incremental`]).
    pub known_unchanged: bool,
}

/// `files` in the order of their paths (the order of the manifest, the cache entry and every
/// report). The paths are sorted with their indices, then each file moves once: a `Built` is a
/// few hundred bytes, and sorting 24,000 of them in place moved each many times.
pub(crate) fn sorted_by_path(files: Vec<Built>) -> Vec<Built> {
    let mut order: Vec<(&str, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, file)| (file.path.as_str(), i))
        .collect();
    // Unstable but deterministic: ties (two files at one path) are an error reported next.
    order.sort_unstable();
    let order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    let mut slots: Vec<Option<Built>> = files.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Why one file could not be built: a template bug, output that fails verification, the
/// output directory unreadable, or a signal that asked platgen to stop (see [`interrupt`]).
pub(crate) enum Problem {
    Template(render::TemplateFailure),
    Broken(Box<render::BrokenFile>),
    Io(Diagnostic),
    Interrupted(interrupt::Signal),
}

/// The output directory a file is built against: its manifest, and the folders something is
/// in the way of (nothing below them is read).
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    pub dir: &'a Path,
    pub current: &'a output::ManifestOnDisk,
    pub blocked: &'a output::Blocked,
}

/// Renders one artifact, compares it with the output directory (when there is one) and
/// verifies it unless platgen already wrote exactly these bytes. A file `known` says is
/// unchanged is taken as it is on disk, without rendering (see [`incremental`]).
pub(crate) fn build_file(
    renderer: &Renderer,
    artifact: &plan::Artifact<'_>,
    target: Option<Target<'_>>,
    stager: Option<&output::Stager>,
    known: Option<&incremental::Known>,
) -> Result<Option<Built>, Problem> {
    // Every file left once a signal asked to stop is one more to delete again.
    if let Some(signal) = interrupt::requested() {
        return Err(Problem::Interrupted(signal));
    }
    let fresh = stager.is_some_and(output::Stager::fresh);
    // Into an empty directory only the cheap fingerprints are taken, for the next render: a
    // whole context (a runbook's, a compose file's) costs a walk of it, and its file renders
    // once more next time instead.
    let fingerprint = known
        .filter(|_| !fresh || artifact.names_parts())
        .and_then(|known| artifact.fingerprint(known.salt()));
    let blocked = target.is_some_and(|t| t.blocked.covers(&artifact.path));
    if let (Some(known), Some(fingerprint), Some(Target { dir, current, .. })) =
        (known, fingerprint, target)
        && current.interrupted.is_none()
        && !fresh
        && !blocked
        && let Some(hash) = current.manifest.entries.get(&artifact.path)
        && let Some((stat, content)) = known.unchanged(dir, &artifact.path, &fingerprint, hash)
    {
        output::check_path(&artifact.path).map_err(Problem::Io)?;
        return Ok(Some(Built {
            path: artifact.path.clone(),
            content: None,
            observed: Some(output::Observed {
                hash: hash.clone(),
                content,
                on_disk: output::OnDisk::Same,
                stat: Some(stat),
                wrong_mode: false,
            }),
            staged: None,
            fingerprint: Some(fingerprint),
            known_unchanged: true,
        }));
    }
    let Some(file) = renderer
        .render_artifact(artifact)
        .map_err(Problem::Template)?
    else {
        return Ok(None);
    };
    let observed = match target {
        Some(_) if fresh => Some(output::observe_absent(&file).map_err(Problem::Io)?),
        Some(_) if blocked => Some(output::observe_blocked(&file).map_err(Problem::Io)?),
        Some(Target { dir, .. }) => Some(output::observe(dir, &file).map_err(Problem::Io)?),
        None => None,
    };
    let known_good = match (target, &observed) {
        (Some(Target { current, .. }), Some(seen)) => {
            output::written_by_platgen(current, &file.path, seen)
        }
        _ => false,
    };
    if !known_good {
        verify::verify_file(&file).map_err(|broken| {
            Problem::Broken(Box::new(render::BrokenFile::new(
                &artifact.template,
                &file,
                &broken,
            )))
        })?;
    }
    let on_disk = observed.as_ref().is_some_and(output::Observed::as_rendered);
    // A file render will write is staged now, and its content let go.
    let staged = match stager {
        Some(stager) if !on_disk => Some(
            stager
                .stage(&file.path, file.content.as_bytes())
                .map_err(Problem::Io)?,
        ),
        _ => None,
    };
    #[cfg(debug_assertions)]
    stop_after_staging(&file.path);
    Ok(Some(Built {
        content: (!on_disk && staged.is_none()).then_some(file.content),
        path: file.path,
        observed,
        staged,
        fingerprint,
        known_unchanged: false,
    }))
}

/// Tests stop a render at its worst moment, the file a variable names just staged (debug
/// builds only; each variable is read once per run): with a bug (a panic) when it is
/// `PLATGEN_TEST_PANIC_AFTER_STAGING`, with a SIGINT sent to platgen itself when it is
/// `PLATGEN_TEST_SIGNAL_AFTER_STAGING`.
#[cfg(debug_assertions)]
fn stop_after_staging(path: &str) {
    use std::ffi::OsString;
    use std::sync::OnceLock;
    static PANIC: OnceLock<Option<OsString>> = OnceLock::new();
    static SIGNAL: OnceLock<Option<OsString>> = OnceLock::new();
    let names = |cell: &'static OnceLock<Option<OsString>>, variable: &str| {
        cell.get_or_init(|| std::env::var_os(variable))
            .as_deref()
            .is_some_and(|named| *named == *path)
    };
    if names(&PANIC, "PLATGEN_TEST_PANIC_AFTER_STAGING") {
        panic!("PLATGEN_TEST_PANIC_AFTER_STAGING names {path}");
    }
    if names(&SIGNAL, "PLATGEN_TEST_SIGNAL_AFTER_STAGING") {
        interrupt::raise_for_test();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(path: &str, content: &str) -> Built {
        Built {
            path: path.to_owned(),
            content: Some(content.to_owned()),
            observed: None,
            staged: None,
            fingerprint: None,
            known_unchanged: false,
        }
    }

    #[test]
    fn files_come_in_path_order_each_with_its_own_content_and_none_lost() {
        let files = vec![
            built("b/x.yaml", "1"),
            built("a/y.yaml", "2"),
            built("b/x.yaml", "3"),
            built("a/b.yaml", "4"),
        ];
        let sorted = sorted_by_path(files);
        let seen: Vec<(&str, &str)> = sorted
            .iter()
            .map(|f| (f.path.as_str(), f.content.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(
            seen.len(),
            4,
            "two files at one path are both kept, for E0405"
        );
        assert_eq!(&seen[..2], &[("a/b.yaml", "4"), ("a/y.yaml", "2")]);
        assert!(seen[2..].iter().all(|(path, _)| *path == "b/x.yaml"));
    }
}

//! platgen: one `platform.toml` in, every deployment artifact of the platform out.
//!
//! The pipeline runs one way: [`load`] → [`validate`] → [`resolve`] → [`check`] → [`plan`] →
//! [`render`] → [`verify`] → [`output`]. [`compile`] runs it up to verified, in-memory files.

pub mod cache;
pub mod check;
pub mod console;
pub mod diagnostics;
pub mod diff;
pub mod incremental;
pub mod interrupt;
pub mod later;
pub mod line_endings;
pub mod load;
pub mod model;
pub mod output;
pub mod parallel;
pub mod plan;
pub mod render;
pub mod resolve;
pub mod validate;
pub mod verify;

mod build;
mod read;
#[cfg(test)]
mod testing;
pub mod timing;

use std::borrow::Cow;
use std::path::Path;

use build::{Built, Problem, build_file};
use diagnostics::{Diagnostic, SourceFile, did_you_mean};
use later::Later;
use output::Scope;
pub use read::{MAX_PLATFORM_BYTES, read_source};
use render::{RenderedFile, Renderer, TemplateSource};
use timing::timed;

/// Why a run stopped.
#[derive(Debug)]
pub enum Failure {
    /// The input (or a template) is wrong; diagnostics point into the source. Exit code 1.
    Invalid {
        /// The problems found.
        diagnostics: Vec<Diagnostic>,
        /// The file they point into.
        source: Option<SourceFile>,
    },
    /// A usage or I/O problem. Exit code 2.
    Environment(Vec<Diagnostic>),
    /// A signal asked platgen to stop (see [`interrupt`]), and it did before writing anything.
    Interrupted(interrupt::Signal),
}

impl Failure {
    /// The failure of writing the output directory with `diagnostics`: [`Failure::Interrupted`]
    /// when a signal's request is what stopped it, else [`Failure::Environment`].
    pub fn writing(diagnostics: Vec<Diagnostic>) -> Self {
        match interrupt::requested() {
            Some(signal) if diagnostics.iter().all(|d| d.code.0 == interrupt::CODE) => {
                Failure::Interrupted(signal)
            }
            _ => Failure::Environment(diagnostics),
        }
    }
}

/// A successful compilation: every file, rendered and verified.
#[derive(Debug)]
pub struct Compiled {
    /// The source the files came from.
    pub source: SourceFile,
    /// Every rendered path, sorted.
    pub rendered: Vec<String>,
    /// The BLAKE3 digest of each rendered file's content, in the order of `rendered`, where
    /// known (compiled against an output directory): what the up-to-date cache compares the
    /// files on disk with.
    pub contents: Vec<Option<incremental::Digest>>,
    /// The rendered files whose content this compilation keeps, sorted by path: every one from
    /// [`compile`]; from [`compile_against`], those not already in the output directory byte
    /// for byte (the only ones render writes and diff shows), so a large platform that is
    /// mostly up to date is not held in memory.
    pub files: Vec<RenderedFile>,
    /// Which owned files this render may prune.
    pub scope: Scope,
    /// The rendered files with a fingerprint (see [`incremental`]), when compiled against an
    /// output directory with a record of it.
    pub fingerprinted: Vec<incremental::Fingerprinted>,
    /// The resolved platform the files were rendered from. Kept, not dropped, so that a
    /// caller about to exit can skip freeing it (about 18 ms on one thread at a thousand
    /// services × 3 environments).
    pub platform: model::Platform,
}

/// Runs load → validate → resolve → check and returns the resolved platform.
pub fn analyse(source: SourceFile) -> Result<(SourceFile, model::Platform), Failure> {
    let invalid = |diagnostics, source: &SourceFile| Failure::Invalid {
        diagnostics,
        source: Some(source.clone()),
    };
    let doc = timed("load", || load::load(source.clone())).map_err(|d| invalid(d, &source))?;
    let spec = timed("validate", || validate::validate(&doc)).map_err(|d| invalid(d, &source))?;
    let platform = timed("resolve", || resolve::resolve(&spec));
    let problems = timed("check", || check::check(&doc, &spec, &platform));
    if !problems.is_empty() {
        return Err(invalid(problems, &source));
    }
    Ok((source, platform))
}

/// Runs the whole pipeline up to verified files in memory, for one environment or all.
pub fn compile(
    source: SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
) -> Result<Compiled, Failure> {
    compile_inner(source, env, templates, None).map(|done| done.compiled)
}

/// An output directory to compile against, and what is already known of it.
#[derive(Debug, Clone, Copy)]
pub struct OutputDir<'a> {
    /// The directory.
    pub dir: &'a Path,
    /// The up-to-date cache key to record the result under (see [`cache::key`]), if any.
    pub key: Option<&'a cache::Key>,
    /// Its manifest, when being read or read already (under the same lock): waited for only
    /// once the files are planned. Read here when it is not given, or its read failed (for
    /// the error).
    pub manifest: Option<&'a Later<output::ManifestOnDisk>>,
    /// What the last render recorded of its files (see [`incremental`]), if anything: waited
    /// for only once the files are planned.
    pub known: Option<&'a Later<incremental::Known>>,
}

/// [`compile`], set against the output directory in the same pass: each file is compared with
/// what is on disk as soon as it is rendered, in parallel. A file that is on disk byte for byte
/// and recorded in the manifest with its hash is not verified again: platgen verified it when it
/// wrote it. Every file that differs, and so every file render would write, is verified. The
/// result is recorded in the up-to-date cache under the output directory's key, when it has
/// one. A file its record says is unchanged is not rendered at all (see [`incremental`]).
pub fn compile_against(
    source: SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
    out: OutputDir<'_>,
) -> Result<(Compiled, output::Changes), Failure> {
    let target = Target { out, stager: None };
    let (compiled, changes, _) = compile_and_remember(source, env, templates, &target)?;
    Ok((compiled, changes))
}

/// [`compile_against`] for `render`: also stages every file render writes as soon as it is
/// built (see [`output::Stager`]), so a large render is never held in memory whole and the
/// writing overlaps the rendering. Nothing is visible until [`output::commit`]; dropping the
/// staged render instead leaves the output directory as it was.
pub fn compile_and_stage(
    source: SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
    out: OutputDir<'_>,
) -> Result<(Compiled, output::Changes, output::StagedRender), Failure> {
    // Declared first, dropped last: after the staged files of a failed run (see StagedRender).
    let stager = output::Stager::new(out.dir);
    let target = Target {
        out,
        stager: Some(&stager),
    };
    let (compiled, changes, staged) = compile_and_remember(source, env, templates, &target)?;
    Ok((compiled, changes, output::StagedRender::new(stager, staged)))
}

/// Where a compilation is set against: the output directory, and whether to stage into it.
struct Target<'s> {
    out: OutputDir<'s>,
    stager: Option<&'s output::Stager>,
}

/// Compiles against `target` and records the result in the up-to-date cache under `key`.
fn compile_and_remember(
    source: SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
    target: &Target<'_>,
) -> Result<(Compiled, output::Changes, Vec<output::Staged>), Failure> {
    let done = compile_inner(source, env, templates, Some(target))?;
    let changes = done.changes.unwrap_or_default();
    if let Some(key) = target.out.key
        && key.templates_unchanged(templates)
    {
        timed("cache", || {
            cache::store(key, &cache_entry(&done.compiled, &changes));
        });
    }
    Ok((done.compiled, changes, done.staged))
}

/// What a compilation produced.
struct Done {
    compiled: Compiled,
    /// Against an output directory: what render would do to it.
    changes: Option<output::Changes>,
    /// The files staged into it (when staging).
    staged: Vec<output::Staged>,
}

/// What the cache records of a compilation: each rendered file's hash, from the manifest the
/// render leaves behind, and that manifest's digest.
fn cache_entry(compiled: &Compiled, changes: &output::Changes) -> cache::Entry {
    let entries = &changes.next_manifest.entries;
    let contents = compiled.contents.iter().chain(std::iter::repeat(&None));
    cache::Entry::new(
        compiled.scope.clone(),
        &changes.next_manifest.text_digest(),
        compiled
            .rendered
            .iter()
            .zip(contents)
            .filter_map(|(path, content)| {
                Some((path.as_str(), entries.get(path)?.as_str(), content.as_ref()))
            }),
    )
}

/// The fast path of `check`, `render` and `diff`: what render produces, when `entry` (what the
/// [`cache`] recorded under this run's key, see [`cache::key`]) shows `out_dir` is exactly what
/// that render would leave (with `strict`, holding nothing else either); `None` when it does
/// not, and only a render can tell.
/// `current` is the manifest read from `out_dir`: with none (an empty output directory) the
/// cache cannot help, as [`cache::up_to_date`] checks first.
pub fn known_up_to_date(
    entry: cache::Entry,
    config: &Path,
    out_dir: &Path,
    current: &output::ManifestOnDisk,
    strict: bool,
) -> Option<cache::Entry> {
    cache::up_to_date(out_dir, repository_of(config), current, &entry, strict).then_some(entry)
}

/// The repository a platform file describes: its directory, which `output_dir` is relative to.
pub fn repository_of(config: &Path) -> &Path {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn compile_inner(
    source: SourceFile,
    env: Option<&str>,
    templates: Option<&Path>,
    target: Option<&Target<'_>>,
) -> Result<Done, Failure> {
    if let Some(dir) = templates {
        render::check_overrides(dir).map_err(Failure::Environment)?;
    }
    let renderer = Renderer::new(&TemplateSource::new(templates)).map_err(invalid)?;
    if parallel::cpus() == 1 {
        return compile_with(&renderer, source, env, target);
    }
    // Templates compile on another core while the platform is analysed and planned.
    std::thread::scope(|scope| {
        scope.spawn(|| renderer.precompile());
        compile_with(&renderer, source, env, target)
    })
}

fn compile_with(
    renderer: &Renderer,
    source: SourceFile,
    env: Option<&str>,
    target: Option<&Target<'_>>,
) -> Result<Done, Failure> {
    let (source, platform) = analyse(source)?;
    if let Some(name) = env
        && !platform.environments.iter().any(|e| e.name == name)
    {
        let names = || platform.environments.iter().map(|e| e.name.as_str());
        let help = match did_you_mean(name, names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("environments: {}", names().collect::<Vec<_>>().join(", ")),
        };
        return Err(Failure::Environment(vec![
            Diagnostic::error("E0001", format!("no environment named `{name}`")).help(help),
        ]));
    }
    let scope = Scope {
        env: env.map(str::to_owned),
    };
    let artifacts = timed("plan", || plan::plan(&platform, env));
    let stager = target.and_then(|t| t.stager);
    let known = target.and_then(|t| t.out.known).and_then(Later::get);
    if known.is_some() {
        timed("digest parts", || {
            plan::inputs::digest_parts(artifacts.iter().map(|a| &a.inputs));
        });
    }
    let target = match target {
        Some(Target { out, .. }) => {
            let current = match out.manifest.and_then(Later::get) {
                Some(read) => Cow::Borrowed(read),
                None => Cow::Owned(
                    output::read_manifest(out.dir).map_err(|d| Failure::Environment(vec![d]))?,
                ),
            };
            // Nothing is read, written or pruned through a link inside the output directory.
            let paths = artifacts.iter().map(|a| a.path.as_str());
            let owned = current.manifest.entries.keys().map(String::as_str);
            let owned = owned.chain(
                current
                    .interrupted
                    .iter()
                    .flat_map(|j| j.entries.iter().map(|(p, _)| p.as_str())),
            );
            let root = repository_of(&source.path);
            let blocked = output::check_dirs(out.dir, root, paths.chain(owned))
                .map_err(Failure::Environment)?;
            // Render stops before staging anything; check and diff report what is in the way.
            if stager.is_some() && !blocked.is_empty() {
                return Err(Failure::Environment(blocked.errors(out.dir)));
            }
            Some((out.dir, current, blocked))
        }
        None => None,
    };
    // Every stat taken from here on is of bytes known good then (see incremental::Checked).
    let checked_since = std::time::SystemTime::now();
    let results = timed("render, verify, compare", || {
        // Each artifact (and its template context) is dropped once its file is built.
        parallel::map_owned(artifacts, |artifact| {
            let target = target
                .as_ref()
                .map(|(dir, current, blocked)| build::Target {
                    dir,
                    current,
                    blocked,
                });
            let started = timing::file_started();
            let built = build_file(renderer, &artifact, target, stager, known);
            timing::file_built(&artifact.template, started);
            built
        })
    });
    timing::note_templates();
    timing::note(|| {
        let unchanged = results
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Ok(Some(Built {
                        known_unchanged: true,
                        ..
                    }))
                )
            })
            .count();
        format!(
            "incremental: {unchanged} files taken as unchanged, {} rendered",
            results.len() - unchanged
        )
    });
    let mut built = Vec::with_capacity(results.len());
    let (mut failures, mut broken, mut io_diags) = (Vec::new(), Vec::new(), Vec::new());
    let mut interrupted = None;
    for result in results {
        match result {
            Ok(Some(file)) => built.push(file),
            Ok(None) => {}
            Err(Problem::Template(failure)) => failures.push(failure),
            Err(Problem::Broken(file)) => broken.push(*file),
            Err(Problem::Io(d)) => io_diags.push(d),
            Err(Problem::Interrupted(signal)) => interrupted = Some(signal),
        }
    }
    // Asked to stop: what else went wrong was found only in the files built before, if at all.
    if let Some(signal) = interrupted {
        return Err(Failure::Interrupted(signal));
    }
    let mut invalid_diags = renderer.template_diagnostics(failures);
    invalid_diags.extend(renderer.broken_diagnostics(broken));
    if !invalid_diags.is_empty() {
        return Err(invalid(invalid_diags));
    }
    if !io_diags.is_empty() {
        return Err(Failure::Environment(once_per_cause(io_diags)));
    }
    let built = build::sorted_by_path(built);
    if let Some(pair) = built.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(invalid(vec![Diagnostic::error(
            "E0405",
            format!("two artifacts render to {}", pair[0].path),
        )]));
    }
    let rendered: Vec<String> = built.iter().map(|b| b.path.clone()).collect();
    let changes = match target {
        Some((dir, current, blocked)) => {
            let observed: Vec<(&str, &output::Observed)> = built
                .iter()
                .filter_map(|b| Some((b.path.as_str(), b.observed.as_ref()?)))
                .collect();
            let changes = timed("compare", || {
                output::compare(dir, &current, &observed, &scope, &blocked)
            })
            .map_err(|d| Failure::Environment(vec![d]))?;
            Some(changes)
        }
        None => None,
    };
    let mut staged = Vec::new();
    let mut files = Vec::new();
    let mut fingerprinted = Vec::new();
    let contents = built
        .iter()
        .map(|b| b.observed.as_ref().and_then(|o| o.content))
        .collect();
    for b in built {
        let staged_stat = b.staged.as_ref().and_then(output::Staged::committed_stat);
        staged.extend(b.staged);
        if let (Some(fingerprint), Some(observed)) = (b.fingerprint, &b.observed) {
            fingerprinted.push(incremental::Fingerprinted {
                path: b.path.clone(),
                fingerprint,
                hash: observed.hash.clone(),
                content: observed.content,
                checked: observed
                    .stat
                    .map(|stat| incremental::Checked::since(stat, checked_since)),
                staged: staged_stat,
            });
        }
        if let Some(content) = b.content {
            files.push(RenderedFile {
                path: b.path,
                content,
            });
        }
    }
    Ok(Done {
        compiled: Compiled {
            source,
            rendered,
            contents,
            files,
            scope,
            fingerprinted,
            platform,
        },
        changes,
        staged,
    })
}

/// Files that fail for one reason (a folder that cannot be created, or takes no file) say it
/// once, with how many files it stopped; sorted by message.
fn once_per_cause(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by(|a, b| a.message.cmp(&b.message));
    let mut once: Vec<(Diagnostic, usize)> = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        match once.last_mut() {
            Some((last, count)) if *last == diagnostic => *count += 1,
            _ => once.push((diagnostic, 1)),
        }
    }
    once.into_iter()
        .map(|(diagnostic, count)| {
            if count == 1 {
                return diagnostic;
            }
            let help = match &diagnostic.help {
                Some(help) => format!("{count} files to write there; {help}"),
                None => format!("{count} files to write there"),
            };
            diagnostic.help(help)
        })
        .collect()
}

fn invalid(diagnostics: Vec<Diagnostic>) -> Failure {
    Failure::Invalid {
        diagnostics,
        source: None,
    }
}

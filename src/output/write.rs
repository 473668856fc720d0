//! Writing a render into the output directory, all or nothing.
//!
//! 1. Every file to write is staged as a temporary file (`.platgen-tmp-*`) in its target's
//!    directory by a [`Stager`] (see [`super::stage`]) — `platgen render` stages each file as
//!    soon as it is rendered and verified, on the rendering threads, and keeps none in memory.
//!    Unchanged files are not touched at all.
//! 2. [`commit`]: once the whole render succeeded, the new manifest is staged too and every
//!    staged file made durable (see [`SYNC_EACH_FILE_UP_TO`]); stale owned files are moved
//!    aside and the journal written (see [`super::journal`]); only then are the files renamed
//!    over their targets and the manifest renamed last, and the moved-aside files, the journal
//!    and the directories prunes leave empty removed.
//!
//! A failure before the renames (a template error, a directory that cannot be created, a full
//! disk, a read-only directory, a file in the way, a stale file that cannot be removed, Ctrl-C
//! or another signal [`crate::interrupt`] catches) deletes what was staged and the directories
//! created for it ([`StagedRender`]'s drop) and puts moved files back: the output directory is
//! byte-identical to before. A process killed at any point (SIGKILL, a second Ctrl-C),
//! or a power loss, leaves every file wholly old or wholly new: rename(2) replaces a directory
//! entry atomically, and the data it points to was on disk before the rename. What can be left
//! is a mix of old and new files, the journal that says which are platgen's, and
//! `.platgen-tmp-*` files; a render of either version completes it and removes the rest.
//!
//! When the output directory does not exist yet (a first render, a CI job, a benchmark), the
//! [`Stager`] builds the whole tree in a hidden directory beside it instead
//! (`.NAME.platgen-tmp-*`, files at their final names), and the commit makes it durable and
//! renames it into place in one step: there is no output directory or the whole of it, and no
//! file is renamed on its own. A failure deletes the hidden tree; one left by a killed render is
//! removed by the next render that builds a fresh tree for the same directory.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::manifest::MANIFEST_NAME;
use super::stage::{Place, Staged, StagedRender, Stager, TEMP_PREFIX, tree_prefix};
use super::{Changes, UNCHANGED, io_error, journal};
use crate::diagnostics::Diagnostic;
use crate::parallel;
use crate::render::RenderedFile;

/// Up to this many staged files each is fsynced (fdatasync) on its own; above it, one
/// `syncfs(2)` of the output directory's filesystem flushes them all, which costs one flush
/// instead of one journal commit per file (Linux only; elsewhere every file is fsynced). Both
/// put the data on disk before any rename, which is what "wholly old or wholly new" needs.
pub const SYNC_EACH_FILE_UP_TO: usize = 64;

/// How data reaches the disk (see [`SYNC_EACH_FILE_UP_TO`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// fsync each file (and each directory whose entries changed).
    EachFile,
    /// One `syncfs(2)` of the filesystem holding the output directory.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    WholeFilesystem,
}

/// Makes `paths` (files or directories) durable, per `mode`.
fn sync(mode: Durability, out_dir: &Path, paths: &[&Path]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    if mode == Durability::WholeFilesystem {
        return rustix::fs::syncfs(fs::File::open(out_dir)?).map_err(std::io::Error::from);
    }
    let _ = (mode, out_dir);
    parallel::map(paths, |p| fs::File::open(p).and_then(|f| f.sync_all()))
        .into_iter()
        .collect()
}

/// Removes every `.platgen-tmp-*` file an interrupted render left below `out_dir` (links not
/// followed; wherever it staged, whichever platform file it rendered), and the directories
/// that leaves empty.
pub fn remove_leftovers_below(out_dir: &Path) {
    let leftovers: Vec<PathBuf> = walkdir::WalkDir::new(out_dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .map(walkdir::DirEntry::into_path)
        .collect();
    for file in leftovers {
        if fs::remove_file(&file).is_ok() {
            remove_empty_parents(out_dir, &file);
        }
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

/// Writes the render into `out_dir` as `changes` (from [`super::compare()`]) says: stages the
/// added and changed `files`, then [`commit`]s them.
pub fn write(
    out_dir: &Path,
    files: &[RenderedFile],
    changes: &Changes,
) -> Result<(), Vec<Diagnostic>> {
    conflicts(out_dir, changes)?;
    let wanted = wanted(changes);
    // Declared first, dropped last: after the staged files, whether they fail or not.
    let stager = Stager::new(out_dir);
    let to_stage: Vec<&RenderedFile> = files
        .iter()
        .filter(|f| wanted.contains(f.path.as_str()))
        .collect();
    let staged = parallel::map(&to_stage, |file| {
        stager.stage(&file.path, file.content.as_bytes())
    })
    .into_iter()
    .collect::<Result<Vec<Staged>, Diagnostic>>()
    .map_err(|d| vec![d])?;
    commit(out_dir, StagedRender::new(stager, staged), changes)
}

/// Files platgen does not own, and anything else, in the way of the render (see
/// [`super::Obstacle`]): an error, before anything is visible.
fn conflicts(out_dir: &Path, changes: &Changes) -> Result<(), Vec<Diagnostic>> {
    if changes.unowned_conflicts.is_empty() && changes.obstacles.is_empty() {
        return Ok(());
    }
    // Without the manifest, every file platgen wrote looks like someone else's: a lost
    // manifest, not the files, is then the likely cause.
    let manifest = out_dir.join(super::manifest::MANIFEST_NAME);
    let help = if changes.manifest_missing {
        format!(
            "platgen never overwrites files it does not own, and {} (its record of the files it wrote) is missing: if it was deleted, restore it (e.g. `git checkout -- {}`) and render again; else move or delete the file",
            manifest.display(),
            manifest.display()
        )
    } else {
        "platgen never overwrites files it does not own: move or delete it, then render again"
            .to_owned()
    };
    let mut errors: Vec<(&str, Diagnostic)> = changes
        .unowned_conflicts
        .iter()
        .map(|path| {
            let error = Diagnostic::error(
                "E0502",
                format!(
                    "{} exists and was not written by platgen",
                    out_dir.join(path).display()
                ),
            );
            (path.as_str(), error.help(help.clone()))
        })
        .collect();
    errors.extend(
        changes
            .obstacles
            .iter()
            .map(|(path, obstacle)| (path.as_str(), obstacle.error(&out_dir.join(path)))),
    );
    errors.sort_by(|a, b| a.0.cmp(b.0));
    Err(errors.into_iter().map(|(_, error)| error).collect())
}

/// The paths a render writes: the added and the changed files.
fn wanted(changes: &Changes) -> BTreeSet<&str> {
    changes
        .added
        .iter()
        .chain(&changes.modified)
        .map(String::as_str)
        .collect()
}

/// Completes a staged render as `changes` says: makes the staged files durable, renames them
/// over their targets, prunes stale owned files and the empty directories they leave, and
/// replaces the manifest last. Files platgen does not own are never touched (one in the way is
/// an error, and then nothing becomes visible). Staged files `changes` does not write are
/// discarded.
pub fn commit(
    out_dir: &Path,
    mut render: StagedRender,
    changes: &Changes,
) -> Result<(), Vec<Diagnostic>> {
    commit_inner(out_dir, &mut render, changes, None::<fn()>)
}

/// [`commit`], then `after` once the render is in place and durable (never when the commit
/// failed), on another core while the commit tidies up (looks through the output directory for
/// leftovers of interrupted renders): work that needs the committed files, such as recording
/// them.
pub fn commit_then(
    out_dir: &Path,
    mut render: StagedRender,
    changes: &Changes,
    after: impl FnOnce() + Send,
) -> Result<(), Vec<Diagnostic>> {
    commit_inner(out_dir, &mut render, changes, Some(after))
}

fn commit_inner(
    out_dir: &Path,
    render: &mut StagedRender,
    changes: &Changes,
    after: Option<impl FnOnce() + Send>,
) -> Result<(), Vec<Diagnostic>> {
    #[cfg(debug_assertions)]
    crate::interrupt::raise_for_test_if("PLATGEN_TEST_SIGNAL_BEFORE_COMMIT");
    conflicts(out_dir, changes)?;
    let wanted = wanted(changes);
    render.files.retain(|s| {
        let keep = wanted.contains(s.path.as_str());
        if !keep && let Place::InTree(file) = &s.place {
            let _ = fs::remove_file(file);
        }
        keep
    });
    if render.files.len() != wanted.len() {
        // Every file to add or change must have been staged; anything else is a bug.
        return Err(vec![
            Diagnostic::error(
                "E0503",
                "a file to write was not staged; nothing was written",
            )
            .help("this is a bug in platgen; please report it"),
        ]);
    }
    if let Some(tree) = render.stager.tree.take() {
        return commit_tree(out_dir, tree, &render.files, changes, after);
    }
    if render.files.is_empty() && changes.removed.is_empty() && !changes.manifest_stale {
        // Nothing to write: a request to stop is honoured as by any commit before its renames.
        stop_if_requested()?;
        alongside(after, || remove_leftovers_below(out_dir));
        return Ok(());
    }
    if changes.manifest_stale {
        let text = changes.next_manifest.to_text();
        let manifest = render
            .stager
            .stage(MANIFEST_NAME, text.as_bytes())
            .map_err(|d| vec![d])?;
        // Last in the list: renamed after every file.
        render.files.push(manifest);
    }
    let mode = durability(render.files.len());
    let temps: Vec<&Path> = render.files.iter().map(Staged::file).collect();
    if let Err(e) = sync(mode, out_dir, &temps) {
        return Err(vec![
            io_error(format!("cannot write {}", out_dir.display()), e).help(UNCHANGED),
        ]);
    }
    stop_if_requested()?;
    // Stale files out of the way first, then the journal (see [`super::journal`]): until both
    // are done, a failure still leaves the output directory as it was.
    let removed: Vec<PathBuf> = changes.removed.iter().map(|p| out_dir.join(p)).collect();
    let aside = journal::move_aside(&removed).map_err(|d| vec![d])?;
    let renames = render.files.iter().any(|s| s.path != MANIFEST_NAME);
    if renames && let Err(d) = journal::write(out_dir, &render.stager, changes) {
        aside.restore();
        return Err(vec![d]);
    }
    // Everything is staged and on disk: from here on only renames and removals, and the
    // directories made for them stay.
    render.stager.keep_dirs();
    #[cfg(debug_assertions)]
    crate::interrupt::raise_for_test_if("PLATGEN_TEST_SIGNAL_WHILE_REPLACING");
    // Into an existing directory every file waits beside its target.
    let mut staged: Vec<(tempfile::TempPath, PathBuf)> = std::mem::take(&mut render.files)
        .into_iter()
        .filter_map(|s| match s.place {
            Place::Beside { temp, target } => Some((temp, target)),
            Place::InTree(_) => None,
        })
        .collect();
    let manifest = if changes.manifest_stale {
        staged.pop()
    } else {
        None
    };
    let targets: Vec<PathBuf> = staged
        .iter()
        .map(|(_, target)| target.clone())
        .chain(manifest.as_ref().map(|(_, target)| target.clone()))
        .collect();
    let mut errors: Vec<Diagnostic> = parallel::map(&staged, |(temp, target)| {
        fs::rename(temp, target)
            .map_err(|e| io_error(format!("cannot replace {}", target.display()), e))
    })
    .into_iter()
    .filter_map(Result::err)
    .collect();
    // Dropping deletes the temporary files of renames that failed (the others are gone).
    drop(staged);
    // The manifest only once every file is in place; otherwise the journal stays, and says
    // which files are platgen's until a render completes.
    if let Some((temp, target)) = manifest
        && errors.is_empty()
        && let Err(e) = temp.persist(&target)
    {
        errors.push(io_error(
            format!("cannot replace {}", target.display()),
            e.error,
        ));
    }
    if errors.is_empty() {
        journal::remove(out_dir);
        aside.delete();
        for target in &removed {
            remove_empty_parents(out_dir, target);
        }
    } else {
        // Some files are replaced and others not: the stale ones go back, the journal stays
        // and keeps every file platgen put in place its own until a render completes.
        aside.restore();
        const PARTLY: &str = "the output directory is partly updated (the journal .platgen-manifest.pending in it says which files are platgen's): fix the cause, then render again";
        errors = errors.into_iter().map(|e| e.help(PARTLY)).collect();
    }
    // The renames themselves durable too, so a finished render stays finished: the directory of
    // every file, and of every directory made for one.
    let target_paths: Vec<&Path> = targets.iter().map(PathBuf::as_path).collect();
    let mut dirs = dirs_up_to(out_dir, &target_paths);
    dirs.extend(
        removed
            .iter()
            .filter_map(|p| p.parent())
            .filter(|d| d.is_dir()),
    );
    let dirs: Vec<&Path> = dirs.into_iter().collect();
    if let Err(e) = sync(mode, out_dir, &dirs) {
        errors.push(io_error(format!("cannot sync {}", out_dir.display()), e));
    }
    // Anywhere in the output directory: an interrupted render of another platform file may
    // have staged files in directories this one never writes.
    alongside(after.filter(|_| errors.is_empty()), || {
        remove_leftovers_below(out_dir);
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// How a commit of `files` staged files makes them durable.
fn durability(files: usize) -> Durability {
    if files <= SYNC_EACH_FILE_UP_TO || !cfg!(target_os = "linux") {
        Durability::EachFile
    } else {
        Durability::WholeFilesystem
    }
}

/// [`commit`] of a render staged as a fresh `tree` (the output directory did not exist): the
/// manifest joins the `staged` files in it, the tree is made durable and renamed into place in
/// one step, and trees that interrupted renders left beside it are removed. Dropped on a
/// failure, the tree deletes itself.
fn commit_tree(
    out_dir: &Path,
    tree: tempfile::TempDir,
    staged: &[Staged],
    changes: &Changes,
    after: Option<impl FnOnce() + Send>,
) -> Result<(), Vec<Diagnostic>> {
    let manifest = tree.path().join(MANIFEST_NAME);
    fs::write(&manifest, changes.next_manifest.to_text()).map_err(|e| {
        let shown = out_dir.join(MANIFEST_NAME);
        vec![io_error(format!("cannot write {}", shown.display()), e).help(UNCHANGED)]
    })?;
    let files: Vec<&Path> = staged
        .iter()
        .map(Staged::file)
        .chain([manifest.as_path()])
        .collect();
    let mode = durability(files.len());
    let paths = match mode {
        Durability::EachFile => with_dirs_up_to(tree.path(), &files),
        Durability::WholeFilesystem => files,
    };
    if let Err(e) = sync(mode, tree.path(), &paths) {
        return Err(vec![
            io_error(format!("cannot write {}", out_dir.display()), e).help(UNCHANGED),
        ]);
    }
    stop_if_requested()?;
    let tree = tree.keep();
    if let Err(e) = fs::rename(&tree, out_dir) {
        let _ = fs::remove_dir_all(&tree);
        return Err(vec![
            io_error(format!("cannot create {}", out_dir.display()), e).help(UNCHANGED),
        ]);
    }
    let parent = tree.parent().unwrap_or(Path::new("."));
    // The rename itself durable too, so a finished render stays finished.
    sync(Durability::EachFile, parent, &[parent])
        .map_err(|e| vec![io_error(format!("cannot sync {}", parent.display()), e)])?;
    alongside(after, || remove_leftover_trees(parent, out_dir));
    Ok(())
}

/// Where a commit stops when a signal asked platgen to stop (see [`crate::interrupt`]): once
/// the files are made durable (which can take a while) and before the first one replaces
/// anything, the last point where stopping leaves the output directory as it was; at once when
/// there is nothing to write. A signal that comes later waits for the commit to finish.
fn stop_if_requested() -> Result<(), Vec<Diagnostic>> {
    crate::interrupt::stop_if_requested().map_err(|d| vec![d])
}

/// `tidy()`, and `after()` (when there is one) on another core meanwhile.
fn alongside(after: Option<impl FnOnce() + Send>, tidy: impl FnOnce()) {
    match after {
        Some(after) => {
            parallel::join(after, tidy);
        }
        None => tidy(),
    }
}

/// Every directory between `files` and `root`, and `root` itself, each once: whose entries
/// must be synced for the files to be reachable after a crash.
fn dirs_up_to<'p>(root: &Path, files: &[&'p Path]) -> BTreeSet<&'p Path> {
    files
        .iter()
        .flat_map(|file| file.ancestors().skip(1).take_while(|d| d.starts_with(root)))
        .collect()
}

/// `files` in `root` and [`dirs_up_to`] them, each once, sorted.
fn with_dirs_up_to<'p>(root: &Path, files: &[&'p Path]) -> Vec<&'p Path> {
    let mut all = dirs_up_to(root, files);
    all.extend(files.iter().copied());
    all.into_iter().collect()
}

/// Removes the fresh trees interrupted renders of `out_dir` left in `parent`.
fn remove_leftover_trees(parent: &Path, out_dir: &Path) {
    let Some(name) = out_dir.file_name() else {
        return;
    };
    let prefix = tree_prefix(name);
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(prefix.as_encoded_bytes())
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `dir` holds, as sorted relative paths.
    fn listing(dir: &Path) -> Vec<String> {
        let mut paths: Vec<String> = walkdir::WalkDir::new(dir)
            .min_depth(1)
            .into_iter()
            .flatten()
            .map(|e| {
                e.path()
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string()
            })
            .collect();
        paths.sort();
        paths
    }

    fn changes_adding(paths: &[&str]) -> Changes {
        let mut changes = Changes {
            added: paths.iter().map(|p| (*p).to_owned()).collect(),
            manifest_stale: true,
            ..Changes::default()
        };
        for path in paths {
            changes
                .next_manifest
                .entries
                .insert((*path).to_owned(), super::super::manifest::hash(b"x"));
        }
        changes
    }

    /// Stages `path` (content `x`) for `out` and commits it.
    fn render_one(out: &Path, path: &str) {
        let stager = Stager::new(out);
        let staged = vec![stager.stage(path, b"x").expect("staged")];
        commit(
            out,
            StagedRender::new(stager, staged),
            &changes_adding(&[path]),
        )
        .expect("committed");
    }

    /// What `dir` holds at its top level, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn work_after_a_commit_runs_once_the_files_are_in_place_and_never_after_a_failure() {
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        // Into a fresh tree, then beside existing files, then with nothing to write.
        for path in ["a/one.yaml", "a/two.yaml", "a/two.yaml"] {
            let stager = Stager::new(&out);
            let staged = vec![stager.stage(path, b"x").expect("staged")];
            let mut changes = changes_adding(&[path]);
            if out.join(path).exists() {
                changes.added.clear();
                changes.unchanged = 1;
                changes.manifest_stale = false;
            }
            let found = std::sync::OnceLock::new();
            commit_then(&out, StagedRender::new(stager, staged), &changes, || {
                found.get_or_init(|| fs::read(out.join(path)).expect("in place"));
            })
            .expect("committed");
            assert_eq!(found.get().map(Vec::as_slice), Some(&b"x"[..]), "{path}");
        }
        // A file platgen does not own in the way: nothing is committed, and nothing runs after.
        fs::write(out.join("theirs.yaml"), "theirs").expect("write");
        let stager = Stager::new(&out);
        let staged = vec![stager.stage("theirs.yaml", b"x").expect("staged")];
        let changes = Changes {
            unowned_conflicts: vec!["theirs.yaml".to_owned()],
            ..changes_adding(&["theirs.yaml"])
        };
        let ran = std::sync::atomic::AtomicBool::new(false);
        let committed = commit_then(&out, StagedRender::new(stager, staged), &changes, || {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        assert!(committed.is_err());
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn a_missing_output_directory_is_built_beside_it_and_appears_whole() {
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        let stager = Stager::new(&out);
        let staged = vec![
            stager.stage("a/b/one.yaml", b"x").expect("staged"),
            stager.stage("two.yaml", b"x").expect("staged"),
        ];
        assert!(!out.exists(), "nothing visible before the commit");
        let hidden = names(parent.path());
        assert_eq!(hidden.len(), 1, "{hidden:?}");
        assert!(hidden[0].starts_with(".out.platgen-tmp-"), "{hidden:?}");
        commit(
            &out,
            StagedRender::new(stager, staged),
            &changes_adding(&["a/b/one.yaml", "two.yaml"]),
        )
        .expect("committed");
        assert_eq!(names(parent.path()), ["out"], "the tree became out/");
        assert_eq!(
            listing(&out),
            [MANIFEST_NAME, "a", "a/b", "a/b/one.yaml", "two.yaml"]
        );
        assert_eq!(fs::read(out.join("a/b/one.yaml")).expect("read"), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_staged_in_a_fresh_tree_keeps_the_stat_it_was_staged_with() {
        use crate::incremental::FileStat;
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        let stager = Stager::new(&out);
        let staged = vec![stager.stage("a/one.yaml", b"x").expect("staged")];
        let before = staged[0].committed_stat().expect("known in a fresh tree");
        commit(
            &out,
            StagedRender::new(stager, staged),
            &changes_adding(&["a/one.yaml"]),
        )
        .expect("committed");
        assert_eq!(FileStat::of(&out.join("a/one.yaml")), Some(before));

        // Beside an existing file, the rename changes the change time: not known before.
        let stager = Stager::new(&out);
        let beside = stager.stage("a/one.yaml", b"y").expect("staged");
        assert_eq!(beside.committed_stat(), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_fresh_output_directory_gets_the_mode_of_a_directory_made_the_usual_way() {
        use std::os::unix::fs::PermissionsExt as _;
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        render_one(&out, "one.yaml");
        let usual = parent.path().join("usual");
        fs::create_dir(&usual).expect("mkdir");
        let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode();
        assert_eq!(mode(&out), mode(&usual));
    }

    #[test]
    fn a_small_fresh_tree_syncs_every_directory_up_to_its_root() {
        let root = Path::new("/p/.out.platgen-tmp-x");
        let (deep, top) = (root.join("a/b/one.yaml"), root.join("two.yaml"));
        let synced = with_dirs_up_to(root, &[deep.as_path(), top.as_path()]);
        let expected: Vec<PathBuf> = ["", "a", "a/b", "a/b/one.yaml", "two.yaml"]
            .iter()
            .map(|p| {
                if p.is_empty() {
                    root.to_path_buf()
                } else {
                    root.join(p)
                }
            })
            .collect();
        assert_eq!(
            synced,
            expected.iter().map(PathBuf::as_path).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_fresh_render_dropped_before_its_commit_leaves_nothing_beside_it() {
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        let stager = Stager::new(&out);
        let staged = vec![stager.stage("a/one.yaml", b"x").expect("staged")];
        drop(StagedRender::new(stager, staged));
        assert_eq!(names(parent.path()), Vec::<String>::new());
    }

    #[test]
    fn a_fresh_commit_removes_the_trees_of_interrupted_renders() {
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        let left = parent.path().join(".out.platgen-tmp-killed");
        fs::create_dir_all(left.join("a")).expect("mkdir");
        fs::write(left.join("a/one.yaml"), b"half").expect("write");
        // Another output directory's leftovers are its own business.
        let other = parent.path().join(".other.platgen-tmp-killed");
        fs::create_dir(&other).expect("mkdir");
        render_one(&out, "a/one.yaml");
        assert_eq!(names(parent.path()), [".other.platgen-tmp-killed", "out"]);
    }

    #[test]
    fn an_output_directory_that_appears_meanwhile_is_not_replaced() {
        let parent = tempfile::tempdir().expect("tempdir");
        let out = parent.path().join("out");
        let stager = Stager::new(&out);
        let staged = vec![stager.stage("one.yaml", b"x").expect("staged")];
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("theirs.txt"), b"mine").expect("write");
        let errors = commit(
            &out,
            StagedRender::new(stager, staged),
            &changes_adding(&["one.yaml"]),
        )
        .expect_err("out/ is in the way");
        assert_eq!(errors[0].code.0, "E0501");
        assert_eq!(names(parent.path()), ["out"]);
        assert_eq!(listing(&out), ["theirs.txt"]);
    }

    #[test]
    fn a_render_dropped_before_its_commit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stager = Stager::new(dir.path());
        let staged = vec![
            stager.stage("a/b/one.yaml", b"x").expect("staged"),
            stager.stage("two.yaml", b"x").expect("staged"),
        ];
        assert!(
            !listing(dir.path()).is_empty(),
            "staged files and made directories"
        );
        drop(StagedRender::new(stager, staged));
        assert_eq!(listing(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_file_to_write_that_was_not_staged_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stager = Stager::new(dir.path());
        let staged = vec![stager.stage("a/one.yaml", b"x").expect("staged")];
        let changes = changes_adding(&["a/one.yaml", "a/two.yaml"]);
        let errors = commit(dir.path(), StagedRender::new(stager, staged), &changes)
            .expect_err("a missing staged file is a bug");
        assert_eq!(errors[0].code.0, "E0503");
        assert_eq!(listing(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_commit_makes_the_staged_files_and_the_manifest_visible() {
        let dir = tempfile::tempdir().expect("tempdir");
        render_one(dir.path(), "a/one.yaml");
        assert_eq!(listing(dir.path()), [MANIFEST_NAME, "a", "a/one.yaml"]);
        assert_eq!(fs::read(dir.path().join("a/one.yaml")).expect("read"), b"x");
    }
}

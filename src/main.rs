//! The `platgen` command line: parses arguments, runs the library, prints, and maps results to
//! exit codes (see [`manual::EXIT_STATUS`]).

mod cached;
mod cli;
mod manual;

use std::io::{IsTerminal as _, Write as _};
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use platgen::diagnostics::{Diagnostic, DiagnosticFormat, SourceFile, render_diagnostics};
use platgen::{Failure, diff, output, read_source};

use cached::{Cached, compile, read_and_ask_cache, read_and_ask_cache_knowing};
use cli::{Cli, Color, Command, DiffFormat, Format, Input, colored, command};

/// Rendering allocates many small strings and values on several threads at once; mimalloc
/// handles that pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prints the diagnostics of a failure; returns the exit code (`invalid_code` for bad input).
/// `writes`: the command would have written files (render), so the summary says none were.
fn report(
    failure: &Failure,
    format: Format,
    color: Color,
    invalid_code: u8,
    writes: bool,
) -> ExitCode {
    let diagnostic_format = match format {
        Format::Human => DiagnosticFormat::Human,
        Format::Short => DiagnosticFormat::Short,
    };
    let (diagnostics, source, code): (&[Diagnostic], _, u8) = match failure {
        Failure::Invalid {
            diagnostics,
            source,
        } => (diagnostics, source.as_ref(), invalid_code),
        Failure::Environment(diagnostics) => (diagnostics, None, 2),
        // Only render catches signals (see platgen::interrupt).
        Failure::Interrupted(signal) => {
            platgen::errln!(
                "platgen: stopped by {signal}; nothing was written (the output directory is as it was)"
            );
            platgen::interrupt::end(*signal)
        }
    };
    let styled = colored(color, std::io::stderr().is_terminal());
    let text = render_diagnostics(diagnostics, source, diagnostic_format, styled);
    let _ = std::io::stderr().write_all(text.as_bytes());
    if format == Format::Human && matches!(failure, Failure::Invalid { .. }) {
        let count = diagnostics.len();
        platgen::errln!(
            "platgen: {count} problem{} found{}",
            if count == 1 { "" } else { "s" },
            if writes { "; nothing was written" } else { "" }
        );
    }
    // A render that failed for another reason while a signal asked it to stop still ends by the
    // signal, so the shell that sent it stops too.
    if writes && let Some(signal) = platgen::interrupt::requested() {
        platgen::interrupt::end(signal)
    }
    ExitCode::from(code)
}

fn render_summary(input: &Input, files: usize, changes: [usize; 4]) {
    let [added, changed, removed, unchanged] = changes;
    platgen::outln!(
        "platgen: {files} files in {}: {added} added, {changed} changed, {removed} removed, {unchanged} unchanged",
        input.out.display(),
    );
}

/// What a render is about to overwrite or rewrite, said before anything is written.
fn warn_before_writing(input: &Input, changes: &output::Changes) {
    if let Some(malformed) = &changes.manifest_malformed {
        platgen::errln!(
            "warning: {}: {malformed}; platgen is rewriting it",
            input.out.join(output::manifest::MANIFEST_NAME).display()
        );
    }
    if !changes.line_endings.is_empty() {
        let count = changes.line_endings.len();
        platgen::errln!(
            "warning: {count} file{} in {} had CRLF line endings from a checkout; platgen is \
             rewriting {} with LF ({})",
            if count == 1 { "" } else { "s" },
            input.out.display(),
            if count == 1 { "it" } else { "them" },
            platgen::line_endings::advice(&input.out.display().to_string())
        );
    }
    // Said before anything is written: the hand edits are about to be lost.
    for path in &changes.edited_by_hand {
        let done = if changes.removed.contains(path) {
            "removing it (it is no longer rendered)"
        } else if changes.modified.contains(path) {
            "replacing it (edit platform.toml instead)"
        } else {
            "keeping it (it is what render writes)"
        };
        platgen::errln!(
            "warning: {} was edited by hand; platgen is {done}",
            input.out.join(path).display()
        );
    }
}

fn run_render(input: &Input) -> Result<ExitCode, Failure> {
    let _lock = output::lock(&input.out, output::Access::Exclusive);
    // Ctrl-C from here on stops the render cleanly (see platgen::interrupt): the output directory
    // is left as it was, without staged files. Not before: waiting for the lock, it ends platgen
    // at once, as it always did.
    platgen::interrupt::catch();
    let (cached, known) = read_and_ask_cache_knowing(input);
    let (source, read) = match cached? {
        Cached::Unknown(source, read) => (source, read),
        Cached::UpToDate(entry) => {
            // Nothing to write; only the leftovers of an interrupted render to tidy.
            output::remove_leftovers_below(&input.out);
            render_summary(input, entry.file_count(), [0, 0, 0, entry.file_count()]);
            return Ok(ExitCode::SUCCESS);
        }
    };
    // Every file to write is staged as it is built; nothing is visible until the commit.
    let (compiled, changes, staged) = platgen::compile_and_stage(
        source,
        input.env.as_deref(),
        input.templates.as_deref(),
        read.output_dir(input, Some(&known)),
    )?;
    // Never dropped (see compile()): the process ends right after.
    let (compiled, changes) = (ManuallyDrop::new(compiled), ManuallyDrop::new(changes));
    // Something in the way stops the commit: no warning of what it would have done.
    if changes.unowned_conflicts.is_empty() && changes.obstacles.is_empty() {
        warn_before_writing(input, &changes);
    }
    let committing = std::time::SystemTime::now();
    let committed = platgen::timing::timed("write", || match known.into_inner() {
        // What the render wrote is recorded once it is in place, while the commit tidies up.
        Some(known) => {
            let record = || {
                platgen::timing::timed("record", || {
                    let manifest = &changes.next_manifest;
                    known.record(&input.out, &compiled.fingerprinted, manifest, committing);
                });
            };
            output::commit_then(&input.out, staged, &changes, record)
        }
        None => output::commit(&input.out, staged, &changes),
    });
    committed.map_err(Failure::writing)?;
    if let Some(signal) = platgen::interrupt::requested() {
        platgen::errln!(
            "platgen: {signal} came once files were being replaced; the render was finished first"
        );
    }
    render_summary(
        input,
        compiled.rendered.len(),
        [
            changes.added.len(),
            changes.modified.len(),
            changes.removed.len(),
            changes.unchanged,
        ],
    );
    Ok(ExitCode::SUCCESS)
}

fn check_summary(input: &Input, format: Format, files: usize) -> ExitCode {
    if format == Format::Human {
        platgen::outln!(
            "platgen: {} and {} are consistent ({files} files)",
            input.config.display(),
            input.out.display(),
        );
    }
    ExitCode::SUCCESS
}

fn run_check(input: &Input, format: Format, strict: bool) -> Result<ExitCode, Failure> {
    let _lock = output::lock(&input.out, output::Access::Shared);
    let (source, read) = match read_and_ask_cache(input, strict)? {
        Cached::Unknown(source, read) => (source, read),
        Cached::UpToDate(entry) => return Ok(check_summary(input, format, entry.file_count())),
    };
    // Every byte compared: check never takes a file as unchanged on its times.
    let compiled = compile(input, source, &read, None)?;
    let (compiled, changes) = (&compiled.0, &compiled.1);
    let unowned = if strict {
        let rendered = compiled.rendered.iter().map(String::as_str).collect();
        // Owned is what the manifest on disk lists: a file it lists that is no longer rendered
        // is reported as that, not as unowned.
        let current = match read.manifest.get() {
            Some(current) => std::borrow::Cow::Borrowed(current),
            None => std::borrow::Cow::Owned(
                output::read_manifest(&input.out).map_err(|d| Failure::Environment(vec![d]))?,
            ),
        };
        let unowned = output::unowned(&input.out, &current, &rendered)
            .map_err(|d| Failure::Environment(vec![d]))?;
        diff::check::unowned_elsewhere(changes, unowned)
    } else {
        Vec::new()
    };
    let out = input.out.display().to_string();
    let lines = diff::check::problems(&out, changes, &unowned);
    if lines.is_empty() {
        return Ok(check_summary(input, format, compiled.rendered.len()));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    print_stdout(text.as_bytes());
    if format == Format::Human {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        // Files platgen does not own are not render's to fix (its own temporary files are).
        let foreign = unowned
            .iter()
            .filter(|p| {
                !p.rsplit('/')
                    .next()
                    .unwrap_or(p)
                    .starts_with(output::TEMP_PREFIX)
            })
            .count();
        let in_the_way = diff::check::in_the_way(changes);
        let fixable = lines.len() - foreign - in_the_way;
        if fixable > 0 {
            platgen::errln!(
                "platgen: {fixable} problem{} in {out}: `platgen diff` shows them, `platgen render` fixes them",
                plural(fixable)
            );
        }
        if in_the_way > 0 {
            platgen::errln!(
                "platgen: {in_the_way} path{} in {out} in the way of platgen render, which never replaces what it did not write: move or delete {}",
                plural(in_the_way),
                if in_the_way == 1 { "it" } else { "them" }
            );
        }
        if foreign > 0 {
            platgen::errln!(
                "platgen: {foreign} file{} in {out} not written by platgen (--strict): move or delete {}",
                plural(foreign),
                if foreign == 1 { "it" } else { "them" }
            );
        }
    }
    Ok(ExitCode::from(1))
}

fn run_diff(input: &Input, format: DiffFormat, stat: bool) -> Result<ExitCode, Failure> {
    let _lock = output::lock(&input.out, output::Access::Shared);
    let compiled;
    let (cached, known) = read_and_ask_cache_knowing(input);
    let review = match cached? {
        // Up to date: the review of no change at all.
        Cached::UpToDate(_) => diff::review(&input.out, &[], &output::Changes::default()),
        Cached::Unknown(source, read) => {
            compiled = compile(input, source, &read, Some(&known))?;
            diff::review(&input.out, &compiled.0.files, &compiled.1)
        }
    }
    .map_err(|d| Failure::Environment(vec![d]))?;
    let text = match format {
        DiffFormat::Text => diff::text::render(
            &review,
            diff::text::Options {
                color: colored(input.color, std::io::stdout().is_terminal()),
                stat,
            },
        ),
        DiffFormat::Markdown => diff::markdown::render(&review, diff::markdown::Options { stat }),
    };
    if print_stdout(text.as_bytes()) != ExitCode::SUCCESS {
        return Ok(ExitCode::from(2));
    }
    Ok(if review.clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `platgen templates`: every built-in template's name, one per line, or one template's text
/// (an unknown name is a usage error, with the closest name).
fn print_templates(name: Option<&str>) -> ExitCode {
    let Some(name) = name else {
        let names: String = platgen::render::EMBEDDED
            .iter()
            .map(|(name, _)| format!("{name}\n"))
            .collect();
        return print_stdout(names.as_bytes());
    };
    if let Some(text) = platgen::render::built_in(name) {
        return print_stdout(text.as_bytes());
    }
    let names = platgen::render::EMBEDDED.iter().map(|(name, _)| *name);
    let help = match platgen::diagnostics::did_you_mean(name, names) {
        Some(known) => format!("did you mean `{known}`? `platgen templates` lists them all"),
        None => "`platgen templates` lists them all".to_owned(),
    };
    let diagnostic =
        Diagnostic::error("E0406", format!("there is no built-in template `{name}`")).help(help);
    report(
        &Failure::Environment(vec![diagnostic]),
        Format::Human,
        Color::Auto,
        2,
        false,
    )
}

/// Writes generated text to stdout. A closed pipe (`platgen schema | head`) is not an error;
/// `print!` and clap_complete would panic on it.
fn print_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            platgen::errln!("error: cannot write to standard output: {e}");
            ExitCode::from(2)
        }
    }
}

/// The folders the platform file declares, relative to its directory (the repository's root):
/// the output directory (`platform.output_dir`, else `out`), where compose files and workflows
/// expect the rendered files, and the template overrides (`platform.templates_dir`), if any.
/// When the file cannot be read or parsed, `out` and none (the pipeline then reports why).
fn declared_dirs(config: &Path, source: Option<&SourceFile>) -> (PathBuf, Option<PathBuf>) {
    #[derive(serde::Deserialize)]
    struct Declared {
        platform: DeclaredPlatform,
    }
    #[derive(serde::Deserialize)]
    struct DeclaredPlatform {
        output_dir: Option<String>,
        templates_dir: Option<String>,
    }
    let declared = source
        .map(|s| s.text.as_str())
        // Most files set neither: no second parse of a large platform for them.
        .filter(|text| text.contains("output_dir") || text.contains("templates_dir"))
        .and_then(|text| toml::from_str::<Declared>(text).ok())
        .map(|d| d.platform);
    let in_repository = |dir: &str| match config.parent() {
        Some(repository) if !repository.as_os_str().is_empty() => repository.join(dir),
        _ => PathBuf::from(dir),
    };
    let out = declared.as_ref().and_then(|d| d.output_dir.as_deref());
    // A folder outside the repository is not read before the schema has rejected it (with its
    // place in the file).
    let inside = |dir: &&str| {
        !dir.is_empty()
            && Path::new(dir)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
    };
    let templates = declared.as_ref().and_then(|d| d.templates_dir.as_deref());
    (
        in_repository(out.unwrap_or("out")),
        templates.filter(inside).map(in_repository),
    )
}

fn main() -> ExitCode {
    platgen::console::report_panics_as_bugs();
    // A panic is a bug: reported as one by the hook, then unwound (staged files are removed
    // on the way) to exit 2, as any other error does.
    std::panic::catch_unwind(run).unwrap_or_else(|_| ExitCode::from(2))
}

fn run() -> ExitCode {
    platgen::timing::mark("start");
    let mut cli = Cli::from_arg_matches(&cli::matches()).unwrap_or_else(|e| e.exit());
    if let Command::Render { input, .. }
    | Command::Check { input, .. }
    | Command::Diff { input, .. } = &mut cli.command
    {
        input.source = read_source(&input.config).ok();
        let (out, templates) = declared_dirs(&input.config, input.source.as_ref());
        input.out = input.out_arg.take().unwrap_or(out);
        if input.templates.is_none() {
            input.templates = templates;
        }
    }
    platgen::timing::mark("arguments read");
    let code = match &cli.command {
        Command::Render { input, format } => run_render(input)
            .unwrap_or_else(|failure| report(&failure, *format, input.color, 1, true)),
        Command::Check {
            input,
            format,
            strict,
        } => run_check(input, *format, *strict)
            .unwrap_or_else(|failure| report(&failure, *format, input.color, 1, false)),
        // For diff, 1 means "differences" only: invalid input is an error like any other.
        Command::Diff {
            input,
            format,
            stat,
        } => run_diff(input, *format, *stat)
            .unwrap_or_else(|failure| report(&failure, Format::Human, input.color, 2, false)),
        Command::Schema => print_stdout(platgen::validate::schema_text().as_bytes()),
        Command::Templates { name } => print_templates(name.as_deref()),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut command(), "platgen", &mut text);
            print_stdout(&text)
        }
        Command::Man { command } => match manual::render(&Cli::command(), command.as_deref()) {
            Some(text) => print_stdout(&text),
            None => ExitCode::from(2),
        },
    };
    platgen::timing::mark("done");
    code
}

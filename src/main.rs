//! The `platgen` command line: parses arguments, runs the library, maps results to exit codes
//! (0 ok, 1 invalid input or differences found, 2 usage or I/O error).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use platgen::diagnostics::{Diagnostic, DiagnosticFormat, render_diagnostics};
use platgen::{Failure, compile, output, read_source};

/// Declarative infrastructure compiler: renders Dockerfiles, compose files, Kubernetes
/// manifests, CI workflows, Prometheus rules and Grafana dashboards from one platform.toml.
#[derive(Debug, Parser)]
#[command(name = "platgen", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
enum Format {
    /// Source snippets with carets.
    #[default]
    Human,
    /// One line per problem: `file:line:col: error[CODE]: message`.
    Short,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
enum Color {
    /// Colour on a terminal unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The platform file.
    #[arg(
        long,
        short = 'c',
        default_value = "platform.toml",
        value_name = "FILE"
    )]
    config: PathBuf,
    /// Only this environment (default: all).
    #[arg(long, short = 'e', value_name = "NAME")]
    env: Option<String>,
    /// Output directory.
    #[arg(long, short = 'o', default_value = "out", value_name = "DIR")]
    out: PathBuf,
    /// Directory of templates overriding the built-in ones, by path (e.g. kubernetes/deployment.yaml).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// How problems are printed.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t)]
    color: Color,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render every artifact into the output directory (atomically; prunes stale owned files).
    Render(Common),
    /// Validate platform.toml and verify the output directory is exactly what render would write.
    Check(Common),
    /// Show what render would change in the output directory.
    Diff(Common),
    /// Print the JSON schema of platform.toml.
    Schema,
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

fn styled(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
    }
}

fn report(failure: &Failure, common: &Common) -> ExitCode {
    let format = match common.format {
        Format::Human => DiagnosticFormat::Human,
        Format::Short => DiagnosticFormat::Short,
    };
    let (diagnostics, source, code): (&[Diagnostic], _, u8) = match failure {
        Failure::Invalid {
            diagnostics,
            source,
        } => (diagnostics, source.as_ref(), 1),
        Failure::Environment(diagnostics) => (diagnostics, None, 2),
    };
    let text = render_diagnostics(diagnostics, source, format, styled(common.color));
    let _ = std::io::stderr().write_all(text.as_bytes());
    if common.format == Format::Human && code == 1 {
        let count = diagnostics.len();
        eprintln!(
            "platgen: {count} problem{} found; nothing was written",
            if count == 1 { "" } else { "s" }
        );
    }
    ExitCode::from(code)
}

fn run_render(common: &Common) -> Result<ExitCode, Failure> {
    let compiled = compile(
        read_source(&common.config)?,
        common.env.as_deref(),
        common.templates.as_deref(),
    )?;
    let changes = output::write(&common.out, &compiled.files, &compiled.scope)
        .map_err(Failure::Environment)?;
    for path in &changes.edited_by_hand {
        let done = if changes.removed.contains(path) {
            "removed it (it is no longer rendered)"
        } else {
            "replaced it (edit platform.toml instead)"
        };
        eprintln!(
            "warning: {} was edited by hand; platgen {done}",
            common.out.join(path).display()
        );
    }
    println!(
        "platgen: {} files in {}: {} added, {} changed, {} removed, {} unchanged",
        compiled.files.len(),
        common.out.display(),
        changes.added.len(),
        changes.modified.len(),
        changes.removed.len(),
        changes.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

fn run_check(common: &Common) -> Result<ExitCode, Failure> {
    let compiled = compile(
        read_source(&common.config)?,
        common.env.as_deref(),
        common.templates.as_deref(),
    )?;
    let changes = output::changes(&common.out, &compiled.files, &compiled.scope)
        .map_err(|d| Failure::Environment(vec![d]))?;
    let out = common.out.display();
    let mut lines = Vec::new();
    lines.extend(
        changes
            .added
            .iter()
            .map(|p| format!("{out}/{p}: missing (run platgen render)")),
    );
    lines.extend(
        changes
            .modified
            .iter()
            .filter(|p| !changes.edited_by_hand.contains(p))
            .map(|p| format!("{out}/{p}: stale (run platgen render)")),
    );
    lines.extend(
        changes.edited_by_hand.iter().map(|p| {
            format!("{out}/{p}: edited by hand (edit platform.toml, then platgen render)")
        }),
    );
    lines.extend(
        changes
            .removed
            .iter()
            .filter(|p| !changes.edited_by_hand.contains(p))
            .map(|p| format!("{out}/{p}: no longer rendered (run platgen render)")),
    );
    lines.extend(
        changes.unowned_conflicts.iter().map(|p| {
            format!("{out}/{p}: not written by platgen but in the way of a rendered file")
        }),
    );
    if lines.is_empty() {
        if common.format == Format::Human {
            println!(
                "platgen: {} and {out} are consistent ({} files)",
                common.config.display(),
                compiled.files.len()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    for line in &lines {
        // Ignored: a closed pipe must not turn "differences found" into a panic.
        let _ = writeln!(stdout, "{line}");
    }
    Ok(ExitCode::from(1))
}

fn run_diff(common: &Common) -> Result<ExitCode, Failure> {
    let compiled = compile(
        read_source(&common.config)?,
        common.env.as_deref(),
        common.templates.as_deref(),
    )?;
    let changes = output::changes(&common.out, &compiled.files, &compiled.scope)
        .map_err(|d| Failure::Environment(vec![d]))?;
    let mut stdout =
        anstream::AutoStream::new(std::io::stdout(), color_choice(common.color)).lock();
    let new: std::collections::BTreeMap<&str, &str> = compiled
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let mut paths: Vec<&String> = changes
        .added
        .iter()
        .chain(&changes.modified)
        .chain(&changes.unowned_conflicts)
        .chain(&changes.removed)
        .collect();
    paths.sort();
    let old = output::read_owned(
        &common.out,
        &paths.iter().map(|p| (*p).clone()).collect::<Vec<_>>(),
    )
    .map_err(|d| Failure::Environment(vec![d]))?;
    for path in paths {
        let before = old.get(path).cloned().flatten().unwrap_or_default();
        let after = new.get(path.as_str()).copied().unwrap_or_default();
        let diff = similar::TextDiff::from_lines(before.as_str(), after);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        for line in text.lines() {
            let style = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => anstyle::AnsiColor::Green.on_default(),
                Some(b'-') if !line.starts_with("---") => anstyle::AnsiColor::Red.on_default(),
                Some(b'@') => anstyle::AnsiColor::Cyan.on_default(),
                _ => anstyle::Style::new(),
            };
            let _ = writeln!(stdout, "{style}{line}{style:#}");
        }
    }
    let _ = writeln!(
        stdout,
        "{} to add, {} to change, {} to remove.",
        changes.added.len() + changes.unowned_conflicts.len(),
        changes.modified.len(),
        changes.removed.len()
    );
    Ok(
        if changes.is_empty() && changes.unowned_conflicts.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// Writes generated text to stdout. A closed pipe (`platgen schema | head`) is not an error;
/// `print!` and clap_complete would panic on it.
fn print_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn color_choice(color: Color) -> anstream::ColorChoice {
    match color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let common = match &cli.command {
        Command::Render(c) | Command::Check(c) | Command::Diff(c) => c,
        Command::Schema => {
            return print_stdout(platgen::validate::schema_text().as_bytes());
        }
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "platgen", &mut text);
            return print_stdout(&text);
        }
        Command::Man => {
            let mut text = Vec::new();
            return match clap_mangen::Man::new(Cli::command()).render(&mut text) {
                Ok(()) => print_stdout(&text),
                Err(_) => ExitCode::from(2),
            };
        }
    };
    let result = match &cli.command {
        Command::Render(_) => run_render(common),
        Command::Check(_) => run_check(common),
        _ => run_diff(common),
    };
    result.unwrap_or_else(|failure| report(&failure, common))
}

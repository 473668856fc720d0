//! Part of the binary (see main.rs): the command line's definition (clap), from which
//! `--help`, the completions and the man pages are generated.

use std::path::PathBuf;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};
use platgen::diagnostics::SourceFile;

use crate::manual;

/// Declarative infrastructure compiler: renders Dockerfiles, compose files, Kubernetes
/// manifests, CI workflows, Prometheus rules and Grafana dashboards from one platform.toml.
#[derive(Debug, Parser)]
#[command(name = "platgen", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum Format {
    /// Source snippets with carets.
    #[default]
    Human,
    /// One line per problem: `file:line:col: error[CODE]: message`, `out/path: stale (…)`.
    Short,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum DiffFormat {
    /// Unified diffs for a terminal.
    #[default]
    Text,
    /// A pull-request comment: collapsed `<details>` per file (for $GITHUB_STEP_SUMMARY).
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub(crate) enum Color {
    /// Colour on a terminal (anywhere with CLICOLOR_FORCE) unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// What to compile, and where its output lives.
#[derive(Debug, clap::Args)]
pub(crate) struct Input {
    /// The platform file.
    #[arg(
        long,
        short = 'c',
        default_value = "platform.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// Only this environment (default: all); other environments' files are left alone.
    #[arg(long, short = 'e', value_name = "NAME")]
    pub env: Option<String>,
    /// Output directory [default: the platform's `output_dir`, which defaults to `out`].
    #[arg(long = "out", short = 'o', value_name = "DIR")]
    pub out_arg: Option<PathBuf>,
    /// The output directory: `--out`, else the platform file's `platform.output_dir`.
    #[arg(skip)]
    pub out: PathBuf,
    /// The platform file, once read (to find `output_dir`): read once per run.
    #[arg(skip)]
    pub source: Option<SourceFile>,
    /// Directory of templates overriding the built-in ones, by path (e.g. kubernetes/deployment.yaml)
    /// [default: the platform's `templates_dir`, if it declares one].
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t)]
    pub color: Color,
    /// Render and compare in full even when the up-to-date cache knows the output directory is
    /// current (also: PLATGEN_CACHE=off).
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Render every artifact into the output directory (atomically; prunes stale owned files).
    Render {
        #[command(flatten)]
        input: Input,
        /// How problems are printed.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Validate platform.toml and verify the output directory is exactly what render would write.
    Check {
        #[command(flatten)]
        input: Input,
        /// How problems are printed.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Also report files in the output directory that platgen does not own (a `.git` file
        /// or folder, at any level, is git's and never reported).
        #[arg(long)]
        strict: bool,
    },
    /// Show what render would change in the output directory.
    Diff {
        #[command(flatten)]
        input: Input,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: DiffFormat,
        /// Per-file line counts instead of the diffs.
        #[arg(long)]
        stat: bool,
    },
    /// Print the JSON schema of platform.toml.
    Schema,
    /// List the built-in templates, or print one: the start of an override for --templates DIR
    /// (e.g. `platgen templates kubernetes/deployment.yaml > tpl/kubernetes/deployment.yaml`).
    Templates {
        /// The template to print; without it, every template's name, one per line.
        #[arg(value_parser = TemplateName, hide_possible_values = true)]
        name: Option<String>,
    },
    /// Print shell completions (e.g. `platgen completions bash > /etc/bash_completion.d/platgen`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff; e.g. `platgen man > /usr/local/share/man/man1/platgen.1`).
    Man {
        /// Print this command's own page instead of platgen's (the one for its options).
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(COMMANDS))]
        command: Option<String>,
    },
}

/// A built-in template's name: any text is taken (an unknown name is reported with the closest
/// one, as platgen reports names), and the shells complete the names.
#[derive(Debug, Clone, Copy)]
struct TemplateName;

impl clap::builder::TypedValueParser for TemplateName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = platgen::render::EMBEDDED.iter().map(|(name, _)| *name);
        Some(Box::new(names.map(clap::builder::PossibleValue::new)))
    }
}

/// The subcommands, each with a man page (a test holds this to the definition).
pub(crate) const COMMANDS: [&str; 7] = [
    "render",
    "check",
    "diff",
    "schema",
    "templates",
    "completions",
    "man",
];

/// The command line as parsed: the derived definition, with the exit codes after each help
/// (see [`manual`]; the man pages have them as a section of their own).
pub(crate) fn command() -> clap::Command {
    let mut cli = Cli::command().after_help(manual::exit_codes_help(None));
    for name in manual::COMPILING {
        cli = cli.mut_subcommand(name, |c| c.after_help(manual::exit_codes_help(Some(name))));
    }
    cli
}

/// The command line's matches, or clap's error and exit (status 2). An unknown option clap
/// finds nothing close to gets platgen's suggestion: clap's measure misses a swapped pair of
/// letters in a short name (`--evn` for `--env`).
pub(crate) fn matches() -> clap::ArgMatches {
    let cli = command();
    cli.clone().try_get_matches().unwrap_or_else(|mut error| {
        if let Some(option) = misspelt_option(&cli, &error, std::env::args_os().skip(1)) {
            error.insert(
                clap::error::ContextKind::SuggestedArg,
                clap::error::ContextValue::String(option),
            );
        }
        error.exit()
    })
}

/// The option an unknown `--name` likely misspells, among those of the subcommand given
/// (`args` are the arguments after the program's name), when clap suggests none.
fn misspelt_option(
    cli: &clap::Command,
    error: &clap::Error,
    mut args: impl Iterator<Item = std::ffi::OsString>,
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    if error.kind() != clap::error::ErrorKind::UnknownArgument
        || error.get(ContextKind::SuggestedArg).is_some()
        || error.get(ContextKind::Suggested).is_some()
    {
        return None;
    }
    let Some(ContextValue::String(invalid)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let name = invalid.strip_prefix("--")?;
    let name = name.split_once('=').map_or(name, |(name, _)| name);
    let command = args
        .find_map(|arg| cli.find_subcommand(arg.to_str()?))
        .unwrap_or(cli);
    let longs = command.get_arguments().filter_map(clap::Arg::get_long);
    platgen::diagnostics::did_you_mean(name, longs.chain(["help"])).map(|long| format!("--{long}"))
}

/// Whether to colour a stream that is (or is not) a terminal.
pub(crate) fn colored(color: Color, terminal: bool) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => auto_colour(
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("CLICOLOR_FORCE").as_deref(),
            terminal,
        ),
    }
}

/// `--color auto`: never with `NO_COLOR` set (no-color.org), always with `CLICOLOR_FORCE` set
/// to anything but `0` (for CI logs that show colour but are no terminal), else on a terminal.
fn auto_colour(
    no_color: Option<&std::ffi::OsStr>,
    force: Option<&std::ffi::OsStr>,
    terminal: bool,
) -> bool {
    let set = |v: Option<&std::ffi::OsStr>| v.is_some_and(|v| !v.is_empty());
    if set(no_color) {
        return false;
    }
    (set(force) && force != Some("0".as_ref())) || terminal
}

#[cfg(test)]
mod tests {
    use super::auto_colour;

    #[test]
    fn auto_colour_follows_no_color_then_clicolor_force_then_the_terminal() {
        let some = |v: &'static str| Some(std::ffi::OsStr::new(v));
        // (NO_COLOR, CLICOLOR_FORCE, terminal) → colour
        let cases = [
            (None, None, true, true),
            (None, None, false, false),
            (some("1"), None, true, false),
            (some(""), None, true, true),
            (None, some("1"), false, true),
            (None, some("0"), false, false),
            (None, some(""), false, false),
            (some("1"), some("1"), true, false),
        ];
        for (no_color, force, terminal, colour) in cases {
            assert_eq!(
                auto_colour(no_color, force, terminal),
                colour,
                "NO_COLOR={no_color:?} CLICOLOR_FORCE={force:?} terminal={terminal}"
            );
        }
    }
}

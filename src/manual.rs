//! Part of the binary (see main.rs): the man pages, and the exit codes `--help` lists, both from
//! the command-line definition. `platgen man` prints platgen(1); `platgen man COMMAND` prints
//! platgen-COMMAND(1), the page the first one refers to for that command's options.

use clap_mangen::roff::{Roff, bold, roman};

/// What an exit code means for each command that compiles the platform.
pub struct ExitStatus {
    /// The code (`128+N`: ended by signal N).
    pub code: &'static str,
    /// For `render`.
    pub render: &'static str,
    /// For `check`.
    pub check: &'static str,
    /// For `diff`.
    pub diff: &'static str,
}

/// Every exit status (the README's table says the same). Anything platgen did not write in the
/// way of a rendered file or folder (a file, a symbolic link, a folder, a FIFO) stops `render`
/// (2), and is a problem or a difference to `check` and `diff` (1).
pub const EXIT_STATUS: [ExitStatus; 4] = [
    ExitStatus {
        code: "0",
        render: "written",
        check: "the output directory is exactly what render writes",
        diff: "no difference",
    },
    ExitStatus {
        code: "1",
        render: "platform.toml is invalid (nothing is written)",
        check: "platform.toml is invalid, or a problem in the output directory (a file missing, \
                stale, edited by hand, no longer rendered, whose execute bit is not the one \
                render gives it, or converted to CRLF by a checkout; a malformed manifest; \
                anything platgen did not write in the way: a file, a symbolic link, a folder or \
                a FIFO where a file goes, a file where a folder goes)",
        diff: "there are differences (anything platgen did not write in the way, a file, a \
               symbolic link or a folder, is one)",
    },
    ExitStatus {
        code: "2",
        render: "usage or I/O error, or anything platgen did not write in the way: a file, a \
                 symbolic link, a folder (nothing is written)",
        check: "usage or I/O error",
        diff: "usage or I/O error, or platform.toml is invalid",
    },
    ExitStatus {
        code: "128+N",
        render: "ended by signal N: Ctrl-C (SIGINT, 130), SIGTERM (143) or SIGHUP (129) \
                 stops it before it replaces a file, and nothing is written; one that comes \
                 while files are being replaced waits for the render to finish (0); a second \
                 one ends it at once",
        check: "ended by signal N (Ctrl-C: SIGINT, 130)",
        diff: "ended by signal N (Ctrl-C: SIGINT, 130)",
    },
];

/// The commands [`EXIT_STATUS`] describes.
pub const COMPILING: [&str; 3] = ["render", "check", "diff"];

/// The exit codes of the other commands (schema, templates, completions, man).
const OTHER_STATUS: [(&str, &str); 2] = [
    ("0", "success"),
    ("2", "usage error, or the output cannot be written"),
];

/// [`OTHER_STATUS`] in one line.
fn other_status() -> String {
    let codes: Vec<String> = OTHER_STATUS
        .iter()
        .map(|(code, what)| format!("{code} {what}"))
        .collect();
    codes.join("; ")
}

/// What `code` means for `command` (one of [`COMPILING`]).
fn meaning(status: &ExitStatus, command: &str) -> &'static str {
    match command {
        "render" => status.render,
        "check" => status.check,
        _ => status.diff,
    }
}

/// Width `--help` text is wrapped at.
const HELP_WIDTH: usize = 90;

/// Appends `words` after `lead`, wrapped at [`HELP_WIDTH`], continuation lines indented by
/// `indent` spaces.
fn push_wrapped(text: &mut String, lead: &str, words: &str, indent: usize) {
    let mut line = lead.to_owned();
    let mut empty = true;
    for word in words.split(' ') {
        if !empty && line.chars().count() + 1 + word.chars().count() > HELP_WIDTH {
            text.push_str(&line);
            text.push('\n');
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    text.push_str(&line);
    text.push('\n');
}

/// The exit codes as `--help` lists them: for one command (`Some`, one of [`COMPILING`]) or
/// for all of them.
pub fn exit_codes_help(command: Option<&str>) -> String {
    let mut text = String::from("Exit codes:\n");
    for status in &EXIT_STATUS {
        let code = status.code;
        match command {
            Some(command) => {
                let lead = format!("  {code}  ");
                let indent = lead.len();
                push_wrapped(&mut text, &lead, meaning(status, command), indent);
            }
            None => {
                // Under the first command's name.
                let under = " ".repeat(2 + code.len() + 2);
                for (i, command) in COMPILING.iter().enumerate() {
                    let lead = if i == 0 {
                        format!("  {code}  {command}: ")
                    } else {
                        format!("{under}{command}: ")
                    };
                    push_wrapped(&mut text, &lead, meaning(status, command), under.len() + 2);
                }
            }
        }
    }
    if command.is_none() {
        push_wrapped(
            &mut text,
            "  schema, templates, completions, man: ",
            &other_status(),
            5,
        );
    }
    text.pop();
    text
}

/// The definition as the pages show it: built (so a subcommand's page is platgen-render and its
/// synopsis `platgen render`), without clap's `help` subcommand, which has no page (`--help`
/// does what it does).
fn for_pages(cli: clap::Command) -> clap::Command {
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    cli
}

/// The roff of platgen(1) (`page` None) or platgen-COMMAND(1); `None` for an unknown command.
pub fn render(cli: &clap::Command, page: Option<&str>) -> Option<Vec<u8>> {
    let cli = for_pages(cli.clone());
    let command = match page {
        None => cli.clone(),
        Some(name) => cli.find_subcommand(name)?.clone(),
    };
    let mut text = Vec::new();
    // Every page's footer names the program and its version, as platgen(1)'s does.
    let source = format!(
        "{} {}",
        cli.get_name(),
        cli.get_version().unwrap_or_default()
    );
    clap_mangen::Man::new(command)
        .source(source)
        .render(&mut text)
        .ok()?;
    let mut roff = Roff::new();
    exit_status(&mut roff, page);
    if page.is_none_or(|p| COMPILING.contains(&p)) {
        environment(&mut roff);
    }
    see_also(&mut roff, &cli, page);
    roff.to_writer(&mut text).ok()?;
    Some(text)
}

/// `EXIT STATUS`: one tagged paragraph per code (`.TP`), each command's meaning on a line of
/// its own, so no formatter runs them together.
fn exit_status(roff: &mut Roff, page: Option<&str>) {
    roff.control("SH", ["EXIT STATUS"]);
    match page {
        Some(command) if !COMPILING.contains(&command) => {
            for (code, what) in OTHER_STATUS {
                roff.control("TP", [])
                    .text([bold(code)])
                    .text([roman(what)]);
            }
        }
        _ => {
            for status in &EXIT_STATUS {
                roff.control("TP", []).text([bold(status.code.to_string())]);
                let commands: Vec<&str> = match page {
                    Some(command) => vec![command],
                    None => COMPILING.to_vec(),
                };
                for (i, command) in commands.iter().enumerate() {
                    if i > 0 {
                        roff.control("br", []);
                    }
                    let what = meaning(status, command);
                    if page.is_some() {
                        roff.text([roman(what)]);
                    } else {
                        roff.text([bold(*command), roman(format!(": {what}"))]);
                    }
                }
            }
            if page.is_none() {
                roff.control("PP", []).text([
                    bold("schema"),
                    roman(", "),
                    bold("templates"),
                    roman(", "),
                    bold("completions"),
                    roman(", "),
                    bold("man"),
                    roman(format!(": {}.", other_status())),
                ]);
            }
        }
    }
}

/// `ENVIRONMENT`: the variables render, check and diff read.
fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in [
        (
            "NO_COLOR",
            "when set and not empty, no colour (--color always still colours)",
        ),
        ("PLATGEN_CACHE", "off: no up-to-date cache, as --no-cache"),
        (
            "PLATGEN_CACHE_DIR",
            "the cache directory (else $XDG_CACHE_HOME/platgen, else ~/.cache/platgen)",
        ),
        (
            "PLATGEN_TIMINGS",
            "1: print how long each stage took, on stderr",
        ),
    ] {
        roff.control("TP", [])
            .text([bold(name)])
            .text([roman(what)]);
    }
}

/// `SEE ALSO`: the other pages `platgen man` prints.
fn see_also(roff: &mut Roff, cli: &clap::Command, page: Option<&str>) {
    roff.control("SH", ["SEE ALSO"]);
    let mut names: Vec<String> = Vec::new();
    if page.is_some() {
        names.push(cli.get_name().to_owned());
    }
    names.extend(
        cli.get_subcommands()
            .map(|s| s.get_name())
            .filter(|name| Some(*name) != page)
            .map(|name| format!("{}-{name}", cli.get_name())),
    );
    let mut line = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(name.as_str()));
        line.push(roman("(1)"));
    }
    roff.text(line);
    roff.control("PP", []).text([roman(
        "Each page is printed by platgen man [COMMAND]; README.md and docs/ in the platgen \
         repository describe platform.toml and the GitOps loop.",
    )]);
}

//! platgen: one `platform.toml` in, every deployment artifact of the platform out.
//!
//! The pipeline runs one way: [`load`] → [`validate`] → [`resolve`] → [`check`] → [`plan`] →
//! [`render`] → [`verify`] → [`output`]. [`compile`] runs it up to verified, in-memory files.

pub mod check;
pub mod diagnostics;
pub mod load;
pub mod model;
pub mod output;
pub mod plan;
pub mod render;
pub mod resolve;
pub mod validate;
pub mod verify;

use std::path::Path;

use diagnostics::{Diagnostic, SourceFile, did_you_mean};
use output::Scope;
use render::{RenderedFile, TemplateSource};

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
}

/// A successful compilation: every file, rendered and verified, in memory.
#[derive(Debug)]
pub struct Compiled {
    /// The source the files came from.
    pub source: SourceFile,
    /// The rendered files, sorted by path.
    pub files: Vec<RenderedFile>,
    /// Which owned files this render may prune.
    pub scope: Scope,
}

/// Reads the platform file.
pub fn read_source(path: &Path) -> Result<SourceFile, Failure> {
    std::fs::read_to_string(path)
        .map(|text| SourceFile::new(path, text))
        .map_err(|e| {
            Failure::Environment(vec![
                Diagnostic::error("E0100", format!("cannot read {}: {e}", path.display()))
                    .help("pass the platform file with --config FILE"),
            ])
        })
}

/// Runs load → validate → resolve → check and returns the resolved platform.
pub fn analyse(source: SourceFile) -> Result<(SourceFile, model::Platform), Failure> {
    let invalid = |diagnostics, source: &SourceFile| Failure::Invalid {
        diagnostics,
        source: Some(source.clone()),
    };
    let doc = load::load(source.clone()).map_err(|d| invalid(d, &source))?;
    let spec = validate::validate(&doc).map_err(|d| invalid(d, &source))?;
    let platform = resolve::resolve(&spec);
    let problems = check::check(&doc, &spec, &platform);
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
    let (source, platform) = analyse(source)?;
    let all_envs: Vec<String> = platform
        .environments
        .iter()
        .map(|e| e.name.clone())
        .collect();
    if let Some(name) = env
        && !all_envs.iter().any(|e| e == name)
    {
        let help = match did_you_mean(name, all_envs.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("environments: {}", all_envs.join(", ")),
        };
        return Err(Failure::Environment(vec![
            Diagnostic::error("E0001", format!("no environment named `{name}`")).help(help),
        ]));
    }
    let artifacts = plan::plan(&platform, env);
    let invalid = |diagnostics| Failure::Invalid {
        diagnostics,
        source: None,
    };
    let mut files = render::render(&artifacts, &TemplateSource::new(templates)).map_err(invalid)?;
    verify::verify(&files).map_err(invalid)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = files.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(invalid(vec![Diagnostic::error(
            "E0405",
            format!("two artifacts render to {}", pair[0].path),
        )]));
    }
    Ok(Compiled {
        source,
        files,
        scope: Scope {
            env: env.map(str::to_owned),
            all_envs,
        },
    })
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use platgen::diagnostics::SourceFile;
use platgen::render::RenderedFile;

/// What a process printed: its standard output, then its standard error.
pub fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `scripts/install-validators.sh` installs the validators: `$PLATGEN_TOOLS_DIR`, by
/// default `.tools` in the repository.
pub fn tools_dir() -> PathBuf {
    std::env::var_os("PLATGEN_TOOLS_DIR").map_or_else(|| root().join(".tools"), PathBuf::from)
}

/// The validators' commands: `venv/bin` in [`tools_dir`].
pub fn validators_bin() -> PathBuf {
    tools_dir().join("venv/bin")
}

/// Runs the installed actionlint with the repository's configuration over `workflows`, with
/// the installed shellcheck on `run:` scripts or (`shellcheck: false`) without.
pub fn actionlint(workflows: &[PathBuf], shellcheck: bool) -> std::process::Output {
    let bin = validators_bin();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shellcheck = if shellcheck {
        format!("-shellcheck={}", bin.join("shellcheck").display())
    } else {
        "-shellcheck=".to_owned()
    };
    std::process::Command::new(bin.join("actionlint"))
        .env("PATH", path)
        .args(["-no-color", "-oneline", "-pyflakes=", &shellcheck])
        .arg("-config-file")
        .arg(root().join("scripts/validators/actionlint.yaml"))
        .args(workflows)
        .output()
        .expect("actionlint runs (scripts/install-validators.sh)")
}

/// The reference platform and every example platform, as (name, path).
pub fn platforms() -> Vec<(String, PathBuf)> {
    let mut list = vec![("reference".to_owned(), root().join("platform.toml"))];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("tests/platforms"))
        .expect("tests/platforms exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    examples.sort();
    for path in examples {
        let name = path
            .file_stem()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        list.push((name, path));
    }
    list
}

/// Compiles a platform file in memory.
pub fn compile(path: &Path) -> Vec<RenderedFile> {
    let text = std::fs::read_to_string(path).expect("platform file readable");
    match platgen::compile(SourceFile::new(path, text), None, None) {
        Ok(compiled) => compiled.files,
        Err(failure) => panic!("{} does not compile: {failure:?}", path.display()),
    }
}

/// Rendered files by path.
pub type Files = std::collections::BTreeMap<String, String>;

/// Rendered files keyed by path.
pub fn by_path(files: Vec<RenderedFile>) -> Files {
    files.into_iter().map(|f| (f.path, f.content)).collect()
}

/// Compiles an inline platform, or says why it does not compile.
pub fn compile_text(text: &str) -> Result<Files, String> {
    platgen::compile(SourceFile::new("inline.toml", text), None, None)
        .map(|compiled| by_path(compiled.files))
        .map_err(|failure| format!("{failure:?}"))
}

/// A rendered YAML file, parsed.
pub fn yaml(files: &Files, path: &str) -> serde_json::Value {
    let text = files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not rendered"));
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Writes an executable `bin/<name>` under `dir`, a fake command to put first on `PATH`;
/// returns that `bin` folder.
pub fn fake_command(dir: &Path, name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    let path = bin.join(name);
    std::fs::write(&path, script).expect("write the fake command");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

/// The calls a fake command logged to `log`, one per line; none when it never ran.
pub fn logged_calls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

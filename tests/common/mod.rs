//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use platgen::diagnostics::SourceFile;
use platgen::render::RenderedFile;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

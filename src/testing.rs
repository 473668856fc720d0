//! Helpers shared by the unit tests.

/// Numbers below a bound from a deterministic pseudo-random source (xorshift64): the same on
/// every machine and run, so a failing case reproduces.
pub(crate) fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |bound| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % bound as u64).expect("fits")
    }
}

/// The repository's own `platform.toml` and every example platform in `tests/platforms`, each
/// as the source file the pipeline reads.
pub(crate) fn example_platforms() -> Vec<crate::diagnostics::SourceFile> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("platform.toml")];
    let mut examples: Vec<_> = std::fs::read_dir(root.join("tests/platforms"))
        .expect("examples")
        .map(|entry| entry.expect("entry").path())
        .collect();
    examples.sort();
    paths.extend(examples);
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            crate::diagnostics::SourceFile::new(&path, text)
        })
        .collect()
}

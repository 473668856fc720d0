//! Runs the real third-party validators (kubernetes-validate, the ExternalSecret CRD schema,
//! kubectl kustomize, checkov, yamllint, and the others per file type) over the committed `out/`
//! and over a fresh render of every example platform. Needs the tools `scripts/install-validators.sh`
//! installs, so it is ignored by a bare `cargo test`; `scripts/test` runs it.

// A test's own report: the test harness captures it.
#![allow(clippy::disallowed_macros)]

mod common;

use std::process::Command;

fn validate(dir: &std::path::Path) {
    let output = Command::new(common::root().join("scripts/validate-out.sh"))
        .arg(dir)
        .output()
        .expect("scripts/validate-out.sh runs");
    let report = common::text(&output);
    assert!(
        output.status.success(),
        "validators failed on {}:\n{report}",
        dir.display()
    );
    eprintln!("{report}");
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn committed_out_passes_every_validator() {
    validate(&common::root().join("out"));
}

#[test]
#[ignore = "needs the validators: run scripts/test"]
fn example_platforms_pass_every_validator() {
    for (name, path) in common::platforms()
        .into_iter()
        .filter(|(n, _)| n != "reference")
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join(&name);
        let status = Command::new(env!("CARGO_BIN_EXE_platgen"))
            .args(["render", "--config"])
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .env("PLATGEN_CACHE", "off")
            .status()
            .expect("platgen runs");
        assert!(status.success(), "{name} renders");
        validate(&out);
    }
}

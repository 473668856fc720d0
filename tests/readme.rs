//! The README's examples do what it says: its tour of `platform.toml` is a whole platform that
//! renders and checks as it stands, so a reader can copy it and start from it.

mod common;

use std::process::Command;

const README: &str = include_str!("../README.md");

/// The first ```toml block after the heading `## A tour of`.
fn tour() -> &'static str {
    let section = &README[README.find("## A tour of").expect("the README has a tour")..];
    let start = section
        .find("```toml\n")
        .expect("the tour has a toml block")
        + "```toml\n".len();
    let len = section[start..].find("```").expect("the block ends");
    &section[start..start + len]
}

#[test]
fn the_tour_of_platform_toml_renders_and_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("platform.toml"), tour()).expect("write");
    for command in ["render", "check"] {
        let output = Command::new(env!("CARGO_BIN_EXE_platgen"))
            .arg(command)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("PLATGEN_CACHE", "off")
            .output()
            .expect("platgen runs");
        assert!(
            output.status.success(),
            "platgen {command} on the README's tour:\n{}",
            common::text(&output)
        );
    }
    assert!(
        dir.path()
            .join("out/production/kubernetes/platform-api-deployment.yaml")
            .exists()
    );
}

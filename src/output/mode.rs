//! Which files platgen writes executable, and whether a file on disk has the mode it should.
//!
//! A shell script (a path ending in `.sh`: the operations scripts) is written executable, every
//! other file not: created with mode 0777 or 0666 less the umask, as git checks files out. As in
//! git, only the owner's execute bit counts: it is what a commit of `out/` records (`100755` or
//! `100644`), what `pre-commit`'s `check-shebang-scripts-are-executable` asks of a script, and
//! what `./out/production/scripts/rollback.sh` needs in an emergency. A file whose bit is not
//! what render writes is stale, even with the right bytes: `check` reports it, `diff` shows it
//! and `render` replaces it. Without Unix modes (Windows) every file's mode is as rendered.

/// Whether platgen writes the file at `path` (under the output directory) executable.
pub fn executable(path: &str) -> bool {
    path.ends_with(".sh")
}

/// The mode a file for `path` is created with, before the umask.
#[cfg(unix)]
pub(crate) fn creation_mode(path: &str) -> u32 {
    if executable(path) { 0o777 } else { 0o666 }
}

/// Whether a file with the Unix `mode` is executable, as git sees it: the owner's execute bit.
pub(crate) fn executable_mode(mode: u32) -> bool {
    mode & 0o100 != 0
}

/// Whether the file `meta` describes is executable ([`executable_mode`]); `None` without Unix
/// modes.
pub(crate) fn executable_on_disk(meta: &std::fs::Metadata) -> Option<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Some(executable_mode(meta.permissions().mode()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Whether the file `meta` describes has the mode render gives the file at `path`.
pub(crate) fn as_rendered(path: &str, meta: &std::fs::Metadata) -> bool {
    executable_on_disk(meta).is_none_or(|on_disk| on_disk == executable(path))
}

/// The mode git records for a file, executable or not (what `diff` shows of a mode change).
pub fn git_mode(executable: bool) -> &'static str {
    if executable { "100755" } else { "100644" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shell_scripts_are_executable() {
        assert!(executable("production/scripts/rollback.sh"));
        assert!(executable("staging/scripts/scale.sh"));
        for path in [
            "production/kubernetes/platform-api-deployment.yaml",
            "docker/Dockerfile.platform-api",
            "docs/runbooks/HighErrorRate.md",
            "production/scripts",
            "production/scripts/sh",
        ] {
            assert!(!executable(path), "{path}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owners_execute_bit_decides() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("x");
        std::fs::write(&file, "#!/bin/sh\n").expect("write");
        for (mode, seen) in [(0o644, false), (0o755, true), (0o744, true), (0o655, false)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let meta = std::fs::metadata(&file).expect("stat");
            assert_eq!(executable_on_disk(&meta), Some(seen), "{mode:o}");
            assert_eq!(as_rendered("a/x.sh", &meta), seen, "{mode:o}");
            assert_eq!(as_rendered("a/x.yaml", &meta), !seen, "{mode:o}");
        }
    }
}

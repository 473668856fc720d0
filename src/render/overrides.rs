//! `--templates DIR`: each file there replaces the embedded template of the same path. A
//! misspelt directory or file name would otherwise be ignored without a word, and the render
//! would quietly use the built-in template instead.

use std::path::Path;

use super::EMBEDDED;
use crate::diagnostics::{Diagnostic, did_you_mean};

/// Checks an override directory: it must be a directory, and each file in it must replace an
/// embedded template or be a partial that overrides include (its name starts with `_`, as the
/// embedded partials' do). Hidden files (`.gitkeep`) are left alone.
pub fn check_overrides(dir: &Path) -> Result<(), Vec<Diagnostic>> {
    let help = "pass the directory of template overrides with --templates DIR, or declare it \
                as `templates_dir` under [platform] (relative to the platform file's folder)";
    if !dir.is_dir() {
        let problem = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        return Err(vec![
            Diagnostic::error(
                "E0406",
                format!("the template directory {} {problem}", dir.display()),
            )
            .help(help),
        ]);
    }
    let mut problems = Vec::new();
    // Links followed, as the template loader follows them.
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(
                    Diagnostic::error("E0406", format!("cannot list {}: {e}", dir.display()))
                        .help(help),
                );
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name = relative.to_string_lossy().replace('\\', "/");
        let file = name.rsplit('/').next().unwrap_or_default();
        if file.starts_with(['_', '.']) || super::built_in(&name).is_some() {
            continue;
        }
        let help = match did_you_mean(&name, EMBEDDED.iter().map(|(n, _)| *n)) {
            Some(template) => format!("did you mean `{template}`?"),
            None => "an override has the path of the template it replaces, such as \
                     `kubernetes/deployment.yaml`; name a partial it includes with a leading `_`"
                .to_owned(),
        };
        problems.push(
            Diagnostic::error(
                "E0406",
                format!(
                    "{} replaces no template: there is no template `{name}`",
                    entry.path().display()
                ),
            )
            .help(help),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_must_replace_a_template_or_be_a_partial() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "x\n").expect("write");
        };
        write("kubernetes/deployment.yaml");
        write("kubernetes/_labels.yaml");
        write(".gitkeep");
        assert!(check_overrides(dir.path()).is_ok());

        write("kubernetes/deploymnet.yaml");
        write("notes.txt");
        let problems = check_overrides(dir.path()).expect_err("two strays");
        let messages: Vec<(&str, Option<&str>)> = problems
            .iter()
            .map(|d| (d.message.as_str(), d.help.as_deref()))
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0]
                .0
                .ends_with("there is no template `kubernetes/deploymnet.yaml`")
        );
        assert_eq!(
            messages[0].1,
            Some("did you mean `kubernetes/deployment.yaml`?")
        );
        assert!(messages[1].0.ends_with("there is no template `notes.txt`"));
        assert!(messages[1].1.is_some_and(|h| h.contains("leading `_`")));
    }

    #[test]
    fn the_directory_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let problems = check_overrides(&missing).expect_err("missing");
        assert!(problems[0].message.ends_with("nope does not exist"));
        std::fs::write(&missing, "").expect("write");
        let problems = check_overrides(&missing).expect_err("a file");
        assert!(problems[0].message.ends_with("nope is not a directory"));
    }
}

//! A template that fails: where (in the user's override or a built-in template, at its line
//! and column), what it probably meant (an attribute an undefined one misspells), and one
//! diagnostic per way it failed, however many files it failed for.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use super::{Renderer, TemplateSource};
use crate::diagnostics::{Diagnostic, SourceFile, did_you_mean, line_span};
use crate::plan::Artifact;

/// A template that failed to render one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFailure {
    /// The file it was rendering.
    pub path: String,
    /// The template.
    pub template: String,
    /// What went wrong, with its causes.
    pub error: String,
    /// How to fix it, when platgen can tell (the attribute an undefined one misspells).
    pub hint: Option<Box<str>>,
    /// Where, when the engine knows: in this template or one it includes (boxed: a failure
    /// is returned by value).
    pub place: Option<Box<TemplatePlace>>,
}

impl TemplateFailure {
    /// `error`, met rendering `artifact` with `context`.
    pub(super) fn new(artifact: &Artifact<'_>, error: &Error, context: &Value) -> Self {
        // An error in an included template comes wrapped ("could not render include: …") by
        // every template on the way: the innermost that knows its place says what and where.
        let mut at = error;
        let mut source = std::error::Error::source(error);
        let mut causes = String::new();
        while let Some(inner) = source {
            match inner.downcast_ref::<Error>() {
                Some(inner) if inner.name().is_some() => {
                    at = inner;
                    causes.clear();
                }
                _ => causes.push_str(&format!(": {inner}")),
            }
            source = inner.source();
        }
        // Where it failed is kept apart, to point at the template's line.
        let mut message = match at.detail() {
            Some(detail) => format!("{}: {detail}", at.kind()),
            None => at.kind().to_string(),
        };
        if at.kind() == ErrorKind::OutOfFuel {
            message.push_str(" rendering one file: an endless loop?");
        }
        message.push_str(&causes);
        let hint = (at.kind() == ErrorKind::UndefinedError)
            .then(|| {
                let source = at.template_source()?;
                undefined_hint(context, source, source.get(at.range()?)?)
            })
            .flatten();
        Self {
            path: artifact.path.clone(),
            template: artifact.template.clone(),
            error: message,
            hint: hint.map(String::into_boxed_str),
            place: at.name().map(|name| {
                Box::new(TemplatePlace {
                    template: name.to_owned(),
                    range: at.range(),
                    line: at.line(),
                })
            }),
        }
    }
}

/// For an undefined `a.b.c` (the text of the failing expression in `source`, its template),
/// the name the template data does have where the path left it: "did you mean `a.b.name`?".
/// A first name is guessed at only when `source` names it nowhere else: a loop's, a macro's
/// or a `set` variable is named where it is bound, and is not the file's data.
fn undefined_hint(context: &Value, source: &str, expression: &str) -> Option<String> {
    let names: Vec<&str> = expression.trim().split('.').collect();
    let is_name = |name: &&str| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !names.iter().all(is_name) {
        return None;
    }
    let mut value = context.clone();
    for (i, name) in names.iter().enumerate() {
        match value.get_attr(name) {
            Ok(next) if !next.is_undefined() => value = next,
            _ if i == 0 && mentions(source, name) != 1 => return None,
            _ if value.kind() != ValueKind::Map => return None,
            _ => {
                let keys: Vec<Value> = value.try_iter().ok()?.collect();
                let known = did_you_mean(name, keys.iter().filter_map(Value::as_str))?;
                let mut fixed = names.clone();
                fixed[i] = known;
                return Some(format!("did you mean `{}`?", fixed.join(".")));
            }
        }
    }
    None
}

/// How often `source` names the variable `name`: as a whole word, not as an attribute.
fn mentions(source: &str, name: &str) -> usize {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    source
        .match_indices(name)
        .filter(|(at, _)| {
            let before = source[..*at].chars().next_back();
            let after = source[at + name.len()..].chars().next();
            !before.is_some_and(|c| word(c) || c == '.') && !after.is_some_and(word)
        })
        .count()
}

/// A place in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePlace {
    /// The template's name (`kubernetes/deployment.yaml`).
    pub template: String,
    /// The byte range of what failed, when known.
    pub range: Option<std::ops::Range<usize>>,
    /// Its one-based line, when known.
    pub line: Option<usize>,
}

impl Renderer {
    /// One diagnostic per template, error and place, naming the first file it struck: a
    /// broken template fails every file it renders the same way, and a thousand identical
    /// errors would bury the one thing to fix. In the order of `failures`. Each points at the
    /// failing line of the template: of the user's override, or of the built-in template.
    pub fn template_diagnostics(&self, failures: Vec<TemplateFailure>) -> Vec<Diagnostic> {
        // (the first failure, how many, whether all came from its template)
        let mut groups: Vec<(TemplateFailure, usize, bool)> = Vec::new();
        for failure in failures {
            // One place fails alike whichever template included it (a broken partial).
            let same = |(first, _, _): &&mut (TemplateFailure, usize, bool)| {
                first.error == failure.error
                    && first.place == failure.place
                    && (first.place.is_some() || first.template == failure.template)
            };
            match groups.iter_mut().find(same) {
                Some((first, count, one_template)) => {
                    *count += 1;
                    *one_template &= first.template == failure.template;
                }
                None => groups.push((failure, 1, true)),
            }
        }
        groups
            .into_iter()
            .map(|(failure, count, one_template)| {
                let files = first_of(failure.path, count);
                let message = if one_template {
                    format!(
                        "rendering {files} from template {} failed: {}",
                        failure.template, failure.error
                    )
                } else {
                    format!("rendering {files} failed: {}", failure.error)
                };
                let diagnostic = Diagnostic::error("E0402", message);
                let (diagnostic, help) =
                    match failure.place.as_ref().and_then(|p| self.source.place(p)) {
                        Some(place) => {
                            let help = place.help();
                            (place.locate(diagnostic), help)
                        }
                        None => (
                            diagnostic,
                            "a template or --templates override is broken; this is a bug in \
                             the template, not in platform.toml"
                                .to_owned(),
                        ),
                    };
                diagnostic.help(match failure.hint {
                    Some(hint) => format!("{hint} {}", capitalized(&help)),
                    None => help,
                })
            })
            .collect()
    }
}

/// A rendered file that verification found broken (see [`crate::verify`]): a template bug,
/// or an override's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenFile {
    /// The file's path under the output directory.
    pub path: String,
    /// The template that rendered it.
    pub template: String,
    /// What is wrong.
    pub what: String,
    /// The lines around the place, as `<rendered>/PATH`, and the place in them, when known.
    /// Only these are kept: every file a broken template renders can be broken.
    pub excerpt: Option<(SourceFile, std::ops::Range<usize>)>,
}

impl BrokenFile {
    /// `file`, rendered from `template`, as verification found it.
    pub fn new(template: &str, file: &super::RenderedFile, broken: &crate::verify::Broken) -> Self {
        Self {
            path: file.path.clone(),
            template: template.to_owned(),
            what: broken.what.clone(),
            excerpt: broken.excerpt(&format!("<rendered>/{}", file.path), &file.content),
        }
    }
}

impl Renderer {
    /// One diagnostic per template whose files are broken, naming the first such file and
    /// pointing into it; in the order of `files`. Fixing the template fixes them all.
    pub fn broken_diagnostics(&self, files: Vec<BrokenFile>) -> Vec<Diagnostic> {
        let mut groups: Vec<(BrokenFile, usize)> = Vec::new();
        for file in files {
            match groups
                .iter_mut()
                .find(|(first, _)| first.template == file.template)
            {
                Some((_, count)) => *count += 1,
                None => groups.push((file, 1)),
            }
        }
        groups
            .into_iter()
            .map(|(file, count)| {
                let is = if count == 1 { "is" } else { "are" };
                let files = first_of(file.path, count);
                let diagnostic = Diagnostic::error(
                    "E0403",
                    format!(
                        "rendered {files} from template {} {is} broken: {}",
                        file.template, file.what
                    ),
                );
                let help = fault(
                    self.source.overridden(&file.template).as_deref(),
                    "wrote it",
                );
                let diagnostic = match file.excerpt {
                    Some((excerpt, span)) => diagnostic.at(Some(span)).in_file(excerpt),
                    None => diagnostic,
                };
                diagnostic.help(help)
            })
            .collect()
    }
}

/// A [`TemplatePlace`] found in the text of its template.
struct Located {
    file: SourceFile,
    span: Option<std::ops::Range<usize>>,
    overridden: bool,
}

impl TemplateSource {
    /// The file that overrides template `name`, when one does.
    fn overridden(&self, name: &str) -> Option<std::path::PathBuf> {
        self.overrides
            .as_ref()
            .map(|dir| dir.join(name))
            .filter(|path| path.is_file())
    }

    /// The template `place` is in, read again: the user's override when there is one, else
    /// the built-in template (shown as `<built-in>/NAME`).
    fn place(&self, place: &TemplatePlace) -> Option<Located> {
        let name = place.template.as_str();
        let overridden = self.overridden(name);
        let file = match &overridden {
            Some(path) => SourceFile::new(path, super::read_override(path).ok()?),
            None => SourceFile::new(format!("<built-in>/{name}"), super::built_in(name)?),
        };
        let span = place
            .range
            .clone()
            .filter(|r| r.start <= r.end && file.text.get(r.clone()).is_some())
            .or_else(|| line_span(&file.text, place.line?));
        Some(Located {
            file,
            span,
            overridden: overridden.is_some(),
        })
    }
}

impl Located {
    /// What to do about a failure here.
    fn help(&self) -> String {
        fault(
            self.overridden.then_some(self.file.path.as_path()),
            "failed",
        )
    }

    /// `diagnostic`, pointing here.
    fn locate(self, diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.at(self.span).label("here").in_file(self.file)
    }
}

/// The first file of `count` a template failed for: `a.yaml and 2 more files`.
fn first_of(first: String, count: usize) -> String {
    match count {
        1 => first,
        2 => format!("{first} and 1 more file"),
        n => format!("{first} and {} more files", n - 1),
    }
}

/// What to do about a template at fault: fix (or delete) the user's override at `overridden`,
/// or report the built-in template, which `did` something, as platgen's bug.
fn fault(overridden: Option<&std::path::Path>, did: &str) -> String {
    match overridden {
        Some(path) => format!(
            "fix the --templates override {}, or delete it to use the built-in template",
            path.display()
        ),
        None => format!(
            "a built-in template {did}: this is a bug in platgen, not in platform.toml; please \
             report it with this message"
        ),
    }
}

/// `text` with its first letter upper-case (a sentence after another).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::Artifact;

    #[test]
    fn a_template_that_fails_the_same_way_everywhere_is_one_diagnostic() {
        let failure = |path: &str, template: &str, error: &str| TemplateFailure {
            path: path.to_owned(),
            template: template.to_owned(),
            error: error.to_owned(),
            hint: None,
            place: None,
        };
        let renderer = Renderer::new(&TemplateSource::default()).expect("renderer");
        let diagnostics = renderer.template_diagnostics(vec![
            failure(
                "a/x-deployment.yaml",
                "kubernetes/deployment.yaml",
                "undefined value",
            ),
            failure(
                "a/namespace.yaml",
                "kubernetes/namespace.yaml",
                "undefined value",
            ),
            failure(
                "a/y-deployment.yaml",
                "kubernetes/deployment.yaml",
                "undefined value",
            ),
            failure(
                "b/x-deployment.yaml",
                "kubernetes/deployment.yaml",
                "undefined value",
            ),
            failure(
                "b/y-deployment.yaml",
                "kubernetes/deployment.yaml",
                "unknown filter",
            ),
        ]);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "rendering a/x-deployment.yaml and 2 more files from template kubernetes/deployment.yaml failed: undefined value",
                "rendering a/namespace.yaml from template kubernetes/namespace.yaml failed: undefined value",
                "rendering b/y-deployment.yaml from template kubernetes/deployment.yaml failed: unknown filter",
            ]
        );
        assert!(diagnostics.iter().all(|d| d.code.0 == "E0402"));
    }

    /// Renders `kubernetes/namespace.yaml`, overridden by `template` when given, with `context`.
    fn fail(template: Option<&str>, context: Value) -> (Vec<Diagnostic>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let overrides = template.map(|template| {
            std::fs::create_dir_all(dir.path().join("kubernetes")).expect("mkdir");
            std::fs::write(dir.path().join("kubernetes/namespace.yaml"), template).expect("write");
            dir.path()
        });
        let renderer = Renderer::new(&TemplateSource::new(overrides)).expect("renderer");
        let artifact = |path: &str| Artifact {
            path: path.to_owned(),
            template: "kubernetes/namespace.yaml".to_owned(),
            context: context.clone().into(),
            inputs: Default::default(),
        };
        let failures = ["a/namespace.yaml", "b/namespace.yaml"].map(|path| {
            renderer
                .render_artifact(&artifact(path))
                .expect_err("fails")
        });
        (renderer.template_diagnostics(failures.into()), dir)
    }

    /// The data of a namespace file, as far as the tests' templates read it.
    fn context_of_ns() -> Value {
        Value::from(minijinja::value::Serde(serde_json::json!({
            "namespace": {"name": "shop", "labels": {}},
        })))
    }

    #[test]
    fn a_failing_override_is_pointed_at_in_its_own_file() {
        let template = "kind: Namespace\nmetadata:\n  name: {{ namespace.nmae }}\n";
        let (diagnostics, dir) = fail(Some(template), context_of_ns());
        let [diagnostic] = diagnostics.as_slice() else {
            panic!("one diagnostic for both files: {diagnostics:?}");
        };
        let path = dir.path().join("kubernetes/namespace.yaml");
        let file = diagnostic.file.as_deref().expect("in the override");
        assert_eq!(file.path, path);
        assert_eq!(file.text, template);
        let span = diagnostic.span.clone().expect("a place");
        assert_eq!(&template[span.clone()], "namespace.nmae");
        assert_eq!(file.line_col(span.start), (3, 12));
        assert_eq!(
            diagnostic.message,
            "rendering a/namespace.yaml and 1 more file from template kubernetes/namespace.yaml \
             failed: undefined value: `namespace.nmae` is undefined"
        );
        assert_eq!(
            diagnostic.help.as_deref(),
            Some(
                format!(
                    "did you mean `namespace.name`? Fix the --templates override {}, or delete \
                     it to use the built-in template",
                    path.display()
                )
                .as_str()
            )
        );
        // An override with CRLF line endings is read as LF: the same place.
        let (diagnostics, _dir) = fail(Some(&template.replace('\n', "\r\n")), context_of_ns());
        let file = diagnostics[0].file.as_deref().expect("in the override");
        let span = diagnostics[0].span.clone().expect("a place");
        assert_eq!(file.line_col(span.start), (3, 12));
        assert!(!file.text.contains('\r'));
        // A syntax error too, at the line the engine names.
        let (diagnostics, _dir) = fail(Some("a: 1\nb: {{ x\n"), Value::from(()));
        let file = diagnostics[0].file.as_deref().expect("in the override");
        let span = diagnostics[0].span.clone().expect("a place");
        assert_eq!(file.line_col(span.start).0, 2, "{:?}", diagnostics[0]);
        assert!(
            diagnostics[0]
                .message
                .ends_with("syntax error: unexpected end of input, expected end of variable block"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn a_failure_in_a_partial_included_on_the_way_is_pointed_at_in_the_partial() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "kubernetes/namespace.yaml",
            "a: 1\n{% include \"kubernetes/_a.yaml\" %}\n",
        );
        write(
            "kubernetes/_a.yaml",
            "b: 2\n{% include \"kubernetes/_b.yaml\" %}\n",
        );
        write("kubernetes/_b.yaml", "c: 3\nd: {{ oops( }}\n");
        let renderer = Renderer::new(&TemplateSource::new(Some(dir.path()))).expect("renderer");
        let artifact = Artifact {
            path: "s/namespace.yaml".to_owned(),
            template: "kubernetes/namespace.yaml".to_owned(),
            context: Value::from(()).into(),
            inputs: Default::default(),
        };
        let failure = renderer.render_artifact(&artifact).expect_err("fails");
        let diagnostics = renderer.template_diagnostics(vec![failure]);
        let [diagnostic] = diagnostics.as_slice() else {
            panic!("one: {diagnostics:?}");
        };
        let partial = dir.path().join("kubernetes/_b.yaml");
        let file = diagnostic.file.as_deref().expect("in the partial");
        assert_eq!(file.path, partial);
        let span = diagnostic.span.clone().expect("a place");
        assert_eq!(file.line_col(span.start).0, 2);
        // What failed where, without the wrappers of each include on the way.
        assert!(
            diagnostic
                .message
                .ends_with("failed: syntax error: unexpected `}`"),
            "{}",
            diagnostic.message
        );
        assert!(
            diagnostic
                .help
                .as_deref()
                .is_some_and(|h| h.contains(&partial.display().to_string())),
            "{diagnostic:?}"
        );
    }

    #[test]
    fn one_place_failing_for_several_templates_is_one_diagnostic() {
        let renderer = Renderer::new(&TemplateSource::default()).expect("renderer");
        let failure = |path: &str, template: &str| TemplateFailure {
            path: path.to_owned(),
            template: template.to_owned(),
            error: "syntax error".to_owned(),
            hint: None,
            place: Some(Box::new(TemplatePlace {
                template: "github/_checkout.yml".to_owned(),
                range: None,
                line: Some(1),
            })),
        };
        let diagnostics = renderer.template_diagnostics(vec![
            failure(".github/workflows/ci.yml", "github/ci.yml"),
            failure(".github/workflows/release.yml", "github/release.yml"),
        ]);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["rendering .github/workflows/ci.yml and 1 more file failed: syntax error"]
        );
        let file = diagnostics[0].file.as_deref().expect("the partial");
        assert_eq!(file.path, Path::new("<built-in>/github/_checkout.yml"));
    }

    #[test]
    fn a_failing_built_in_template_is_shown_as_a_bug_in_platgen() {
        // The built-in namespace template, without the data it needs.
        let (diagnostics, _dir) = fail(None, Value::from(()));
        let file = diagnostics[0].file.as_deref().expect("in the template");
        assert_eq!(file.path, Path::new("<built-in>/kubernetes/namespace.yaml"));
        assert!(diagnostics[0].span.is_some(), "{:?}", diagnostics[0]);
        assert!(
            diagnostics[0].help.as_deref().is_some_and(
                |h| h.starts_with("a built-in template failed: this is a bug in platgen")
            ),
            "{:?}",
            diagnostics[0]
        );
    }

    #[test]
    fn an_undefined_attribute_is_matched_against_the_data_where_the_path_left_it() {
        let context = Value::from(minijinja::value::Serde(serde_json::json!({
            "service": {"name": "api", "image": "registry/api", "resources": {"limits": {}}},
        })));
        let source = "kind: {{ service.kind }}\nname: {{ EXPR }}\n";
        let hint = |expression: &str| {
            undefined_hint(&context, &source.replace("EXPR", expression), expression)
        };
        assert_eq!(
            hint("service.nmae").as_deref(),
            Some("did you mean `service.name`?")
        );
        assert_eq!(
            hint("service.resorces.limits").as_deref(),
            Some("did you mean `service.resources.limits`?")
        );
        // A misspelt first name, named nowhere else in the template, is matched against the
        // data's names too.
        assert_eq!(
            hint("servce.name").as_deref(),
            Some("did you mean `service.name`?")
        );
        assert_eq!(hint("servce").as_deref(), Some("did you mean `service`?"));
        // One the template binds itself (a loop's) is not the data's: not guessed at.
        let looped = "{% for servce in items %}{{ servce.name }}{% endfor %}";
        assert_eq!(undefined_hint(&context, looped, "servce.name"), None);
        assert_eq!(mentions("a.servce servce_x servce servce", "servce"), 2);
        // Nothing close, an attribute of a string, and an expression that is not a path.
        assert_eq!(hint("service.port"), None);
        assert_eq!(hint("service.image.nmae"), None);
        assert_eq!(hint("service.nmae | upper"), None);
        assert_eq!(hint("service"), None);
    }

    #[test]
    fn broken_files_are_one_diagnostic_per_template_at_the_first_files_place() {
        let renderer = Renderer::new(&TemplateSource::default()).expect("renderer");
        let broken = |path: &str, template: &str, at| {
            let file = super::super::RenderedFile {
                path: path.to_owned(),
                content: "a: 1\nb: [\nc: 2\n".to_owned(),
            };
            let what = crate::verify::Broken {
                what: "bad".to_owned(),
                at,
            };
            BrokenFile::new(template, &file, &what)
        };
        let diagnostics = renderer.broken_diagnostics(vec![
            broken(
                "s/a-deployment.yaml",
                "kubernetes/deployment.yaml",
                Some((2, 4)),
            ),
            broken("s/namespace.yaml", "kubernetes/namespace.yaml", None),
            broken(
                "s/b-deployment.yaml",
                "kubernetes/deployment.yaml",
                Some((3, 1)),
            ),
            broken("p/a-deployment.yaml", "kubernetes/deployment.yaml", None),
        ]);
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "rendered s/a-deployment.yaml and 2 more files from template \
                 kubernetes/deployment.yaml are broken: bad",
                "rendered s/namespace.yaml from template kubernetes/namespace.yaml is broken: bad",
            ]
        );
        let file = diagnostics[0].file.as_deref().expect("an excerpt");
        assert_eq!(file.path, Path::new("<rendered>/s/a-deployment.yaml"));
        let span = diagnostics[0].span.clone().expect("a place");
        assert_eq!(file.line_col(span.start), (2, 4));
        assert_eq!(
            (diagnostics[1].file.as_ref(), diagnostics[1].span.as_ref()),
            (None, None)
        );
        // No override: the template is platgen's.
        assert!(
            diagnostics.iter().all(|d| d.help.as_deref().is_some_and(
                |h| h.starts_with("a built-in template wrote it: this is a bug in platgen")
            ))
        );
    }
}

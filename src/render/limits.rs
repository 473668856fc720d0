//! Limits on what one template may do while rendering one file: a runaway loop in an
//! overriding template runs out of fuel, and no file may grow past [`MAX_FILE_BYTES`].

/// How many template instructions rendering one file may take when templates are overridden:
/// 40 times what the largest generated file needs (under half a million on a 1,000-service
/// platform), and reached in about a second by a runaway loop.
pub(super) const OVERRIDE_FUEL: u64 = 20_000_000;

/// The largest file a template may produce: far above the largest generated file (about 1 MB on
/// a 1,000-service platform); a template producing more is broken, and would fill the memory.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// The render buffer, refusing to grow past [`MAX_FILE_BYTES`].
pub(super) struct Capped<'a>(pub(super) &'a mut Vec<u8>);

impl std::io::Write for Capped<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > MAX_FILE_BYTES {
            return Err(std::io::Error::other(format!(
                "the file would be larger than {} MiB",
                MAX_FILE_BYTES >> 20
            )));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Artifact;
    use crate::render::{RenderedFile, Renderer, TemplateFailure, TemplateSource};
    use minijinja::value::Value;

    /// Renders `kubernetes/namespace.yaml` overridden by `template`, with `fuel`.
    fn render_override(template: &str, fuel: u64) -> Result<Option<RenderedFile>, TemplateFailure> {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("kubernetes")).expect("mkdir");
        std::fs::write(dir.path().join("kubernetes/namespace.yaml"), template).expect("write");
        let source = TemplateSource::new(Some(dir.path())).with_fuel(fuel);
        let renderer = Renderer::new(&source).expect("renderer");
        renderer.render_artifact(&Artifact {
            path: "x/namespace.yaml".to_owned(),
            template: "kubernetes/namespace.yaml".to_owned(),
            context: Value::from(()).into(),
            inputs: Default::default(),
        })
    }

    #[test]
    fn an_overriding_template_that_loops_runs_out_of_fuel() {
        let endless =
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
        let failure = render_override(endless, 100_000).expect_err("out of fuel");
        assert!(failure.error.contains("ran out of fuel"), "{failure:?}");
        assert!(failure.error.ends_with("an endless loop?"), "{failure:?}");
        assert!(render_override("kind: Namespace\n", 100_000).is_ok());
    }

    #[test]
    fn a_template_cannot_fill_the_memory() {
        let huge = "{% for i in range(100000) %}{{ 'y' * 5000 }}{% endfor %}";
        let failure = render_override(huge, OVERRIDE_FUEL).expect_err("too large");
        assert!(failure.error.contains("larger than 64 MiB"), "{failure:?}");
    }
}

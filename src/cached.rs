//! What a command reads before it compiles (the platform file, what the up-to-date cache says
//! of the output directory (see `platgen::cache`), the record of the files the last render
//! wrote (see `platgen::incremental`)), and the compilation against the output directory.

use std::mem::ManuallyDrop;

use platgen::cache::Key;
use platgen::diagnostics::SourceFile;
use platgen::incremental::Known;
use platgen::later::Later;
use platgen::timing::timed;
use platgen::{Failure, OutputDir, compile_against, output, read_source};

use crate::cli::Input;

/// Compiles and compares with the output directory. The result is never dropped: the process
/// ends soon after, and the OS frees tens of thousands of files faster than their destructors.
/// With `known`, files it says are unchanged are not rendered (see `platgen::incremental`).
pub(crate) fn compile(
    input: &Input,
    source: SourceFile,
    read: &Read,
    known: Option<&Later<Known>>,
) -> Result<ManuallyDrop<(platgen::Compiled, output::Changes)>, Failure> {
    compile_against(
        source,
        input.env.as_deref(),
        input.templates.as_deref(),
        read.output_dir(input, known),
    )
    .map(ManuallyDrop::new)
}

/// What the last render recorded of the output directory's files (see `platgen::incremental`),
/// read on another thread; with `--no-cache`, nothing (a render then records afresh).
pub(crate) fn known_files(input: &Input) -> Later<Known> {
    let (out, templates, no_cache) = (input.out.clone(), input.templates.clone(), input.no_cache);
    Later::start(move || {
        timed("record lookup", || {
            let known = Known::load(&out, templates.as_deref())?;
            Some(if no_cache { known.forget() } else { known })
        })
    })
}

/// What the up-to-date cache (see `platgen::cache`) says of the output directory.
pub(crate) enum Cached {
    /// It is exactly what render would leave; what render produces.
    UpToDate(platgen::cache::Entry),
    /// Only a render can tell: the platform file, and what else was read.
    Unknown(SourceFile, Read),
}

/// What a run read before compiling, besides the platform file: its cache key (to record the
/// render under; none when the cache is off) and the output directory's manifest, read or being
/// read on another thread (none when it could not be read: compiling reads it again, for the
/// error).
pub(crate) struct Read {
    key: Option<Key>,
    pub(crate) manifest: Later<output::ManifestOnDisk>,
}

impl Read {
    /// The output directory with what is known of it.
    pub(crate) fn output_dir<'a>(
        &'a self,
        input: &'a Input,
        known: Option<&'a Later<Known>>,
    ) -> OutputDir<'a> {
        OutputDir {
            dir: &input.out,
            key: self.key.as_ref(),
            manifest: Some(&self.manifest),
            known,
        }
    }
}

/// [`read_and_ask_cache`], with [`known_files`] read meanwhile on another thread.
pub(crate) fn read_and_ask_cache_knowing(input: &Input) -> (Result<Cached, Failure>, Later<Known>) {
    let known = known_files(input);
    (read_and_ask_cache(input, false), known)
}

/// Reads the platform file and asks the up-to-date cache about the output directory.
pub(crate) fn read_and_ask_cache(input: &Input, strict: bool) -> Result<Cached, Failure> {
    let source = match &input.source {
        Some(source) => source.clone(),
        // Unreadable: read again for the error that says why.
        None => read_source(&input.config)?,
    };
    let key = platgen::cache::key(
        &source,
        input.env.as_deref(),
        input.templates.as_deref(),
        &input.out,
    );
    let entry = match &key {
        Some(key) if !input.no_cache => timed("cache lookup", || platgen::cache::lookup(key)),
        _ => None,
    };
    let Some(found) = entry else {
        // Only a render can tell, and it needs the manifest only once the files are planned:
        // read on another thread meanwhile.
        let out = input.out.clone();
        let manifest = Later::start(move || timed("manifest", || output::read_manifest(&out).ok()));
        return Ok(Cached::Unknown(source, Read { key, manifest }));
    };
    let bytes = timed("manifest read", || output::read_manifest_bytes(&input.out));
    let bytes = match bytes {
        Ok(Some(bytes)) if found.left_manifest(&bytes) => bytes,
        // Not the manifest the entry's render left: the entry is not read further (a large
        // platform's lists tens of thousands of files), and the manifest is read meanwhile.
        bytes => {
            let out = input.out.clone();
            let manifest = Later::start(move || {
                timed("manifest", || output::manifest_from(&out, bytes.ok()?).ok())
            });
            return Ok(Cached::Unknown(source, Read { key, manifest }));
        }
    };
    let manifest = timed("manifest", || {
        output::manifest_from(&input.out, Some(bytes)).ok()
    });
    let known = manifest.as_ref().and_then(|current| {
        timed("cache compare", || {
            platgen::known_up_to_date(found.entry()?, &input.config, &input.out, current, strict)
        })
    });
    Ok(match known {
        Some(entry) => Cached::UpToDate(entry),
        None => {
            let manifest = Later::ready(manifest);
            Cached::Unknown(source, Read { key, manifest })
        }
    })
}

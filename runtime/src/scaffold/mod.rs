//! `module new`: writes a working module project in one of the languages function-wasmtime
//! modules are written in, as `crossplane function generate` does for native functions.
//!
//! A project is the language's example of `functions/examples` (the deployment-status transform,
//! or the C and AssemblyScript examples) with the language's helper, a build script that writes
//! `<name>.wasm` beside it, a sample request and a README. The files are the repository's own,
//! embedded at build time, so a project starts from code the tests build and run.

mod templates;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

/// The languages `module new` writes projects in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// Rust with `xfn-sdk`: a reactor.
    Rust,
    /// Go with function-sdk-go's types and `functions/go`: a reactor (`//go:wasmexport`).
    Go,
    /// Python with componentize-py: a component.
    Python,
    /// JavaScript with componentize-js: a component.
    Js,
    /// C with wasi-libc: a reactor.
    C,
    /// AssemblyScript: a reactor.
    Assemblyscript,
}

impl std::fmt::Display for Language {
    /// The language's name as its users write it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Language::Rust => "Rust",
            Language::Go => "Go",
            Language::Python => "Python",
            Language::Js => "JavaScript",
            Language::C => "C",
            Language::Assemblyscript => "AssemblyScript",
        })
    }
}

/// Flags of `module new`.
#[derive(Debug, Args)]
pub struct NewCommand {
    /// The language of the module.
    #[arg(long, value_enum)]
    language: Language,
    /// A function-wasmtime checkout whose Rust SDK (functions/sdk) or Go helper (functions/go)
    /// the project uses by path; without it a Rust project depends on xfn-sdk by version and a Go
    /// project on functions/go by module path.
    #[arg(long)]
    checkout: Option<PathBuf>,
    /// The project's folder, created if missing; it must be empty. Its name is the module's.
    dir: PathBuf,
}

impl NewCommand {
    /// Writes the project and says where it is and how to build it.
    ///
    /// # Errors
    /// When the folder is not empty, its name is not a module name, or a file cannot be written.
    pub fn execute(self) -> anyhow::Result<()> {
        let written = new_project(self.language, &self.dir, self.checkout.as_deref())?;
        println!(
            "wrote {} files of a {} module project to {}; build it with ./build.sh (README.md says more)",
            written.len(),
            self.language,
            self.dir.display()
        );
        Ok(())
    }
}

/// Writes a `language` project into `dir` (created if missing, which must be empty) and returns
/// the files written, relative to `dir`. The module is named after `dir`'s last component.
///
/// # Errors
/// When `dir` is not empty, its name is not a module name (lowercase letters, digits and `-`,
/// starting with a letter), `checkout` is relative, or a file cannot be written.
pub fn new_project(
    language: Language,
    dir: &Path,
    checkout: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    let name = dir
        .file_name()
        .and_then(|name| name.to_str())
        .with_context(|| {
            format!(
                "{} has no folder name to name the module after",
                dir.display()
            )
        })?;
    if !is_module_name(name) {
        bail!(
            "{name:?} (the name of {}) is not a module name: use lowercase letters, digits and '-', starting with a letter",
            dir.display()
        );
    }
    if let Some(checkout) = checkout
        && !checkout.is_absolute()
    {
        bail!(
            "--checkout {} must be an absolute path: the project refers to it from its own folder",
            checkout.display()
        );
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty; choose a new or empty folder",
            dir.display()
        );
    }
    let files = templates::files(language, name, checkout);
    for (path, contents) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("cannot write {}", target.display()))?;
        if path.ends_with(".sh") {
            make_executable(&target)?;
        }
    }
    Ok(files
        .into_iter()
        .map(|(path, _)| PathBuf::from(path))
        .collect())
}

/// Whether `name` can name a module: lowercase letters, digits and `-`, starting with a letter.
fn is_module_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Lets the owner, group and others run `path`, a build script.
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_lowercase_words_joined_by_dashes() {
        assert!(is_module_name("my-function2"));
        assert!(!is_module_name("My-function"));
        assert!(!is_module_name("2fast"));
        assert!(!is_module_name("my_function"));
    }

    #[test]
    fn a_folder_that_is_not_empty_is_refused() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let project = dir.path().join("taken");
        std::fs::create_dir(&project).expect("created");
        std::fs::write(project.join("notes.txt"), "mine").expect("written");
        let error = new_project(Language::C, &project, None).expect_err("refused");
        assert_eq!(
            error.to_string(),
            format!(
                "{} is not empty; choose a new or empty folder",
                project.display()
            )
        );
    }

    #[test]
    fn every_language_writes_a_build_script_a_readme_and_a_sample_request() {
        let dir = tempfile::tempdir().expect("a temp dir");
        assert_eq!(Language::Js.to_string(), "JavaScript");
        for language in Language::value_variants() {
            let name = format!("{language:?}").to_lowercase();
            let written = new_project(*language, &dir.path().join(&name), None).expect("written");
            for expected in ["build.sh", "README.md", "request.json"] {
                assert!(
                    written.contains(&PathBuf::from(expected)),
                    "{name}: {expected} is missing from {written:?}"
                );
            }
        }
    }
}

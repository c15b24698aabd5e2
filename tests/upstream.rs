//! The real upstream programs, built by `scripts/upstream` (pinned versions from the Go module
//! proxy, cached under `target/upstream/`). Tests that compare with upstream never skip: a
//! program that cannot be built fails the test with the command and its output.

use std::path::PathBuf;
use std::process::Command;

use crate::root;

/// The path of upstream program `name`'s binary (`crossplane`, `crossplane-core`,
/// `patch-and-transform`, ...), built by `scripts/upstream --print NAME` when its cache lacks it.
///
/// # Panics
/// When the script fails (the Go build, the module proxy, an unknown name): the message carries
/// the command and its whole output.
pub fn binary(name: &str) -> PathBuf {
    let output = script(&["--print", name]);
    let path = PathBuf::from(output.trim());
    assert!(
        path.is_file(),
        "`scripts/upstream --print {name}` printed {path:?}, which is not a file"
    );
    path
}

/// The Go module source of upstream program `name` (its files, as the module proxy serves them),
/// downloaded by building it.
///
/// # Panics
/// As [`binary`]; also when `scripts/upstream --list` does not know `name`.
pub fn module_source(name: &str) -> PathBuf {
    binary(name);
    let list = script(&["--list"]);
    let (module, version) = list
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.first() == Some(&name)).then(|| (fields[1].to_owned(), fields[2].to_owned()))
        })
        .unwrap_or_else(|| panic!("`scripts/upstream --list` does not list {name}:\n{list}"));
    root()
        .join("target/upstream/go/pkg/mod")
        .join(format!("{module}@{version}"))
}

/// Runs `scripts/upstream ARGS` and returns its stdout.
fn script(args: &[&str]) -> String {
    let script = root().join("scripts/upstream");
    let output = Command::new(&script)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "`{} {}` failed ({}); its output:\n{stdout}{}",
        script.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

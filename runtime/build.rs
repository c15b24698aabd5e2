//! Builds the bundled guest modules from `../functions` (a wasm32-wasip1 workspace) and embeds them.
//!
//! The guests go to `target/wasm` (or `$XFN_GUEST_TARGET_DIR`), a target dir of their own so this
//! nested cargo never waits on the outer build's lock; they are built once per change, whatever
//! profile the host is built with. Every module of the workspace is built (the tests use the
//! examples); those in [`BUNDLED`] are embedded.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates under `functions/` that are embedded, by module name.
const BUNDLED: &[&str] = &["hello", "auto-ready", "patch-and-transform", "dummy"];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("runtime/ lives in the workspace root");
    let functions = root.join("functions");
    let target_dir = env::var_os("XFN_GUEST_TARGET_DIR")
        .map_or_else(|| root.join("target").join("wasm"), PathBuf::from);
    println!("cargo:rerun-if-env-changed=XFN_GUEST_TARGET_DIR");
    for watched in [
        "Cargo.toml",
        "Cargo.lock",
        "sdk",
        "examples",
        "auto-ready",
        "patch-and-transform",
        "dummy",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            functions.join(watched).display()
        );
    }

    build_guests(&functions, &target_dir);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut table = String::from(
        "/// Bundled modules: (name, wasm bytes).\npub(crate) static BUNDLED: &[(&str, &[u8])] = &[\n",
    );
    for name in BUNDLED {
        let built = target_dir
            .join("wasm32-wasip1/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        let copy = out_dir.join(format!("{name}.wasm"));
        std::fs::copy(&built, &copy)
            .unwrap_or_else(|e| panic!("cannot copy {}: {e}", built.display()));
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            copy.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("bundled.rs"), table).expect("cannot write bundled.rs to OUT_DIR");
}

fn build_guests(functions: &Path, target_dir: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(functions)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip1",
            "--target-dir",
        ])
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(functions.join("Cargo.toml"));
    // The whole workspace, so the tests find the example modules that are not bundled.
    command.arg("--workspace");
    // The outer build's flags are for the host target, not for wasm32.
    for variable in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        command.env_remove(variable);
    }
    let status = command
        .status()
        .expect("cannot run cargo to build the guest modules");
    assert!(
        status.success(),
        "building the guest modules in {} failed; see the cargo output above",
        functions.display()
    );
}

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

    ensure_wasm_target();
    build_guests(&functions, &target_dir);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut table = String::from(
        "/// Bundled modules: (name, wasm bytes).\npub(crate) static BUNDLED: &[(&str, &[u8])] = &[\n",
    );
    for name in BUNDLED {
        let built = target_dir
            .join(GUEST_TARGET)
            .join("release")
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

/// The target the guest modules are built for.
const GUEST_TARGET: &str = "wasm32-wasip1";

/// Adds [`GUEST_TARGET`] to the active toolchain through rustup when its standard library is
/// missing. `rust-toolchain.toml` names the target, but rustup adds it only when it installs the
/// toolchain itself, not to a toolchain that is already there (or linked), so on a fresh machine
/// the first `cargo run` would otherwise fail after building every host crate.
fn ensure_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", GUEST_TARGET])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    if libdir.as_deref().is_some_and(Path::is_dir) {
        return;
    }
    println!(
        "cargo:warning=the {GUEST_TARGET} target is not installed; adding it with `rustup target add {GUEST_TARGET}`"
    );
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", GUEST_TARGET]);
    // Cargo runs under the toolchain rustup picked (rust-toolchain.toml); add the target there.
    if let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    match rustup.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!(
            "`rustup target add {GUEST_TARGET}` failed ({status}); the bundled modules need it: \
             run it yourself, or install the target for the toolchain in rust-toolchain.toml"
        ),
        Err(error) => panic!(
            "the {GUEST_TARGET} target is missing and rustup cannot be run ({error}); the bundled \
             modules need it: add the target's standard library to {}",
            rustc.to_string_lossy()
        ),
    }
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
            GUEST_TARGET,
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

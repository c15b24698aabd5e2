//! The Input CRD in package/input/ is generated from the Rust type and must not drift.

use function_wasmtime::input::crd_yaml;

#[test]
fn the_committed_input_crd_matches_the_rust_type() {
    let path = xfn_tests::root().join("package/input/wasmtime.fn.crossplane.io_modules.yaml");
    let generated = crd_yaml();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).expect("package/input is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the Input type; re-run with UPDATE_GOLDEN=1 to accept:\n--- committed\n{committed}\n+++ generated\n{generated}",
        path.display()
    );
}

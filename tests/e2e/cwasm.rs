//! The `.cwasm` cache holds native code: a private directory, whole files, checked before use.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use function_wasmtime::modules::CompileCache;
use serde_json::json;
use xfn_tests::{
    PASS_THROUGH, greeting_xr, hello_response, inline_input, module_input, registry_cached_in,
    request, runner_on, to_json,
};

/// Runs hello through a fresh registry on `cache_dir`; returns how many modules it compiled.
async fn run_hello(cache_dir: &Path) -> u64 {
    let runner = runner_on(registry_cached_in(cache_dir));
    let response = runner
        .run(request(
            "cached",
            greeting_xr("World"),
            module_input("hello", json!({})),
        ))
        .await;
    assert_eq!(to_json(&response), hello_response("cached"));
    runner.registry().compiles()
}

/// The files in `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("readable")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn a_truncated_or_corrupted_cwasm_is_compiled_again_and_replaced() {
    let dir = tempfile::tempdir().expect("a temp dir");
    assert_eq!(run_hello(dir.path()).await, 1, "nothing cached yet");
    let [cwasm] = files(dir.path())
        .try_into()
        .expect("one file, no temporary left");
    assert_eq!(cwasm.extension().and_then(|e| e.to_str()), Some("cwasm"));
    let metadata = fs::metadata(&cwasm).expect("the file");
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert_eq!(run_hello(dir.path()).await, 0, "loaded from the cache");

    let whole = fs::read(&cwasm).expect("readable");
    fs::write(&cwasm, &whole[..whole.len() / 2]).expect("writable");
    assert_eq!(
        run_hello(dir.path()).await,
        1,
        "a truncated file is compiled again"
    );
    assert_eq!(fs::read(&cwasm).expect("readable"), whole, "and replaced");

    let mut corrupted = whole.clone();
    corrupted[whole.len() / 2] ^= 0xff;
    fs::write(&cwasm, &corrupted).expect("writable");
    assert_eq!(
        run_hello(dir.path()).await,
        1,
        "a corrupted file is compiled again"
    );
    assert_eq!(run_hello(dir.path()).await, 0, "the replaced file loads");
}

#[tokio::test]
async fn inline_modules_are_never_written_to_the_cache() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let runner = runner_on(registry_cached_in(dir.path()));
    let response = runner
        .run(request(
            "inline",
            greeting_xr("World"),
            inline_input(PASS_THROUGH, json!({})),
        ))
        .await;
    assert_eq!(response.results, []);
    assert_eq!(runner.registry().compiles(), 1);
    assert_eq!(files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
    let error = CompileCache::open(dir.path()).expect_err("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "--cache-dir {0} can be written by its group or by others (mode 0777); compiled modules are native code the server runs, so run chmod go-w {0} or use another directory",
            dir.path().display()
        )
    );
}

#[test]
fn a_missing_cache_directory_is_created_private() {
    let parent = tempfile::tempdir().expect("a temp dir");
    let dir = parent.path().join("cache/function-wasmtime");
    CompileCache::open(&dir).expect("created");
    let mode = fs::metadata(&dir).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

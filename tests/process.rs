//! Tests that need a process to themselves, because what they measure or capture is process-wide
//! (peak RSS, a global log subscriber), and the process figures they read.

use std::process::Command;

/// Set in the process [`run_alone`] starts, to the name of the test it runs.
const ALONE: &str = "XFN_TEST_ALONE";

/// Runs the test called `name` (its path in this test binary, e.g. `e2e::load::…`) alone in a new
/// process of the binary, and asserts that it passed there.
///
/// Returns `true` inside that process, where the caller goes on to run the test's body, and
/// `false` in the calling process, where the caller returns.
///
/// # Panics
/// When the test failed alone, or the binary has no test called `name`.
pub fn run_alone(name: &str) -> bool {
    if std::env::var(ALONE).is_ok_and(|alone| alone == name) {
        return true;
    }
    let binary = std::env::current_exe().expect("the test binary knows its path");
    let output = Command::new(binary)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE, name)
        .output()
        .expect("the test binary can start itself");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("running 1 test"),
        "{name}, run alone, failed:\n{stdout}\n{stderr}"
    );
    print!("{stdout}");
    false
}

/// The peak resident set size of this process since it started or since [`reset_peak_rss`], in
/// bytes (`VmHWM` of /proc/self/status).
pub fn peak_rss_bytes() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// The resident set size of this process now, in bytes (`VmRSS` of /proc/self/status).
pub fn rss_bytes() -> u64 {
    status_kib("VmRSS:") * 1024
}

/// Starts [`peak_rss_bytes`] again from the current resident set size (Linux: `5` to
/// /proc/self/clear_refs).
pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("/proc/self/clear_refs is writable");
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status exists");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap_or_else(|| panic!("/proc/self/status has no {field} line in kB"))
}

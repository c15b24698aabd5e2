//! Servers as child processes: started on a loopback port, watched through `/proc`, and always
//! stopped, also when the bench panics.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// How long a server may take to accept its first connection before the bench gives up.
pub const START_DEADLINE: Duration = Duration::from_secs(120);

/// How long a SIGTERMed server may take to drain and exit.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A free port on 127.0.0.1 for a server that binds its address itself.
///
/// The kernel picks it and the bench releases it at once; another process could take it in
/// between, which on a bench machine nothing does.
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("loopback has free ports")
}

/// The kernel's clock tick (`getconf CLK_TCK`, 100 on Linux): the unit of `utime` and `stime`
/// in `/proc/PID/stat`, and so the resolution of every CPU reading.
pub static CLOCK_TICK: LazyLock<Duration> = LazyLock::new(|| {
    let output = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf runs");
    let hz: u32 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("getconf CLK_TCK prints a number");
    Duration::from_secs(1) / hz
});

/// A server running as a child process, its stdout and stderr in a temporary log file.
///
/// Dropping it kills the process and waits for it, so no server outlives the bench, whether a
/// scenario finishes or panics.
pub struct ServerProcess {
    /// What the report calls it.
    pub name: String,
    /// Where it listens.
    pub address: SocketAddr,
    child: Child,
    log: tempfile::NamedTempFile,
    spawned: Instant,
}

impl ServerProcess {
    /// Starts `command` (which must make the server listen on `address`).
    ///
    /// # Panics
    /// When the program cannot be started.
    pub fn spawn(name: &str, mut command: Command, address: SocketAddr) -> ServerProcess {
        let log = tempfile::NamedTempFile::new().expect("a temporary file for the server's log");
        let output = || log.reopen().expect("the log file opens again");
        command
            .stdin(Stdio::null())
            .stdout(output())
            .stderr(output());
        let spawned = Instant::now();
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name} ({command:?}): {error}"));
        ServerProcess {
            name: name.to_owned(),
            address,
            child,
            log,
            spawned,
        }
    }

    /// Waits until a TCP connection to the server succeeds; returns the time since it was spawned.
    ///
    /// # Panics
    /// With the server's log, when it exits or is not listening within [`START_DEADLINE`].
    pub async fn wait_accepting(&mut self) -> Duration {
        loop {
            if tokio::net::TcpStream::connect(self.address).await.is_ok() {
                return self.spawned.elapsed();
            }
            self.assert_running("accept connections");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    /// The time since the server was spawned.
    pub fn uptime(&self) -> Duration {
        self.spawned.elapsed()
    }

    /// Panics with the server's log when it has exited, or when it is still running but has not
    /// done `what` within [`START_DEADLINE`].
    pub fn assert_running(&mut self, what: &str) {
        let exited = self.child.try_wait().expect("the child can be waited for");
        if exited.is_none() && self.spawned.elapsed() < START_DEADLINE {
            return;
        }
        panic!(
            "{} did not {what} (exit status: {exited:?}); its log:\n{}",
            self.name,
            self.log()
        );
    }

    /// What the server has written to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// CPU time the server has used so far, user and system, all its threads (also those that
    /// have exited): `utime + stime` of `/proc/PID/stat`, in steps of [`CLOCK_TICK`].
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("/proc/<pid>/stat of a running server is readable");
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        let after_name = &stat[stat.rfind(')').expect("stat has the name in parentheses") + 2..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat(5); `after_name` starts at field 3.
        let ticks: u32 = fields[11..13]
            .iter()
            .map(|field| field.parse::<u32>().expect("utime and stime are numbers"))
            .sum();
        *CLOCK_TICK * ticks
    }

    /// A `kB` line of `/proc/PID/status`, e.g. `VmRSS` (resident now) or `VmHWM` (its peak), in KiB.
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc/<pid>/status of a running server is readable");
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("/proc/<pid>/status has no {field} line in kB"))
    }

    /// Sends SIGTERM and waits for the server to exit; returns how long that took.
    ///
    /// # Panics
    /// When the server does not exit successfully within a deadline (it is then killed).
    pub async fn terminate(mut self) -> Duration {
        let signalled = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {} failed", self.child.id());
        loop {
            if let Some(exit) = self.child.try_wait().expect("the child can be waited for") {
                assert!(
                    exit.success(),
                    "{} exited with {exit} after SIGTERM; its log:\n{}",
                    self.name,
                    self.log()
                );
                return signalled.elapsed();
            }
            assert!(
                signalled.elapsed() < STOP_DEADLINE,
                "{} did not exit within {STOP_DEADLINE:?} of SIGTERM",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

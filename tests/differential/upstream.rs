//! Real upstream functions (Go, built by `scripts/upstream`) as child processes serving gRPC on
//! loopback, so a test can send them the request it sends our server.

use std::io::Read as _;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::net::TcpSocket;
use tonic::transport::{Channel, Endpoint};
use xfn_proto::v1::function_runner_service_client::FunctionRunnerServiceClient;

/// How long an upstream function may take from spawn to accepting connections. They listen
/// within about 0.1 s; the bound only turns a hang into a failure with the process's stderr.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of the process's stderr a failure shows.
const STDERR_TAIL_LINES: usize = 40;

/// The pause between two connection attempts while the process starts.
const CONNECT_RETRY_INTERVAL: Duration = Duration::from_millis(20);

/// An upstream function serving plaintext gRPC on `127.0.0.1`, killed and reaped when stopped or
/// dropped.
///
/// The port: function-sdk-go binds exactly the `--address` it is given and prints nothing when it
/// listens, so the test chooses the port. It binds a socket to `127.0.0.1:0` with `SO_REUSEADDR`
/// and holds it, bound but not listening, until the child accepts connections. The kernel hands
/// that port to no other `bind(:0)` meanwhile, and the child (Go sets `SO_REUSEADDR` on listeners)
/// may still bind it: no free-port race.
///
/// Readiness: nothing signals it, so [`UpstreamFunction::start`] connects every
/// [`CONNECT_RETRY_INTERVAL`] until the first connection succeeds, at most [`START_TIMEOUT`],
/// and fails at once with the command and its stderr when the child exits first. This bounded
/// retry is the only waiting the differential tests do.
///
/// Side effect outside our control: function-sdk-go also serves Prometheus metrics on `:8080`
/// (every interface) and has no flag to move or disable that; when the port is taken it carries
/// on without metrics. The tests never use it.
pub struct UpstreamFunction {
    /// Where it serves gRPC.
    pub address: SocketAddr,
    child: Child,
    command: String,
    stderr: tempfile::NamedTempFile,
}

impl UpstreamFunction {
    /// Builds (if needed) and starts upstream program `name` with `--insecure --address
    /// 127.0.0.1:PORT`, and returns once it accepts connections.
    ///
    /// # Panics
    ///
    /// When the binary cannot be built or started, exits, or does not listen within
    /// [`START_TIMEOUT`]; the message has the command line and the process's stderr.
    pub async fn start(name: &str) -> UpstreamFunction {
        let binary = crate::upstream::binary(name);
        let reservation = TcpSocket::new_v4().expect("a TCP socket");
        reservation
            .set_reuseaddr(true)
            .expect("SO_REUSEADDR on a fresh socket");
        reservation
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("loopback has free ports");
        let address = reservation
            .local_addr()
            .expect("a bound socket has an address");
        let stderr = tempfile::NamedTempFile::new().expect("a temporary file for stderr");
        let args = ["--insecure", "--address", &address.to_string()];
        let command = format!("{} {}", binary.display(), args.join(" "));
        let child = Command::new(&binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.reopen().expect("the stderr file reopens"))
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start `{command}`: {error}"));
        let mut function = UpstreamFunction {
            address,
            child,
            command,
            stderr,
        };
        function.await_listening().await;
        drop(reservation);
        function
    }

    async fn await_listening(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be polled") {
                panic!(
                    "`{}` exited before it listened ({status}); stderr:\n{}",
                    self.command,
                    self.stderr_text()
                );
            }
            if tokio::net::TcpStream::connect(self.address).await.is_ok() {
                return;
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "`{}` did not listen within {START_TIMEOUT:?}; stderr:\n{}",
                    self.command,
                    self.stderr_text()
                );
            }
            tokio::time::sleep(CONNECT_RETRY_INTERVAL).await;
        }
    }

    /// A v1 client on a fresh connection; responses may be as large as requests.
    pub async fn client(&self) -> FunctionRunnerServiceClient<Channel> {
        let channel = Endpoint::from_shared(format!("http://{}", self.address))
            .expect("a valid URI")
            .connect()
            .await
            .unwrap_or_else(|error| panic!("cannot connect to `{}`: {error}", self.command));
        FunctionRunnerServiceClient::new(channel).max_decoding_message_size(usize::MAX)
    }

    /// What the process wrote to stderr that matters: from a Go crash's first line (`panic:` or
    /// `fatal error:`) on, else the last lines (its request logs come first), at most
    /// [`STDERR_TAIL_LINES`] either way.
    pub fn stderr_text(&self) -> String {
        let mut text = String::new();
        let _ = self
            .stderr
            .reopen()
            .and_then(|mut file| file.read_to_string(&mut text));
        let lines: Vec<&str> = text.lines().collect();
        let crash = lines
            .iter()
            .position(|line| line.starts_with("panic:") || line.starts_with("fatal error:"));
        let start = crash.unwrap_or(lines.len().saturating_sub(STDERR_TAIL_LINES));
        let shown = &lines[start..lines.len().min(start + STDERR_TAIL_LINES)];
        let mut out = if start > 0 {
            format!("({start} earlier lines omitted)\n")
        } else {
            String::new()
        };
        out.push_str(&shown.join("\n"));
        out
    }

    /// Whether the process has ended (it crashed, since nothing else stops it).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Reaps the process after a call failed because it crashed (a Go panic ends the process
    /// with status 2 and the stack trace on stderr), and returns its exit status and stderr.
    /// Only call it then: it waits for the process to end.
    pub fn reap_after_crash(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("the child can be reaped");
        (status, self.stderr_text())
    }

    /// Kills the process and reaps it.
    ///
    /// # Panics
    ///
    /// When it had already exited: an upstream function that dies during a test is a failure
    /// worth its stderr, not something to paper over.
    pub fn stop(mut self) {
        if let Some(status) = self.child.try_wait().expect("the child can be polled") {
            panic!(
                "`{}` exited during the test ({status}); stderr:\n{}",
                self.command,
                self.stderr_text()
            );
        }
        self.kill_and_reap();
    }

    fn kill_and_reap(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for UpstreamFunction {
    /// A failing test unwinds through here: the process never outlives it.
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

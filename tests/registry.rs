//! A real OCI registry for the tests: Debian's `docker-registry` (distribution v2) on
//! 127.0.0.1, plain or with basic auth over TLS, stopped when dropped.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::TestCa;

/// How long the registry may take to start listening. It listens within milliseconds; the bound
/// only keeps a broken install from hanging the suite. This is the one wait on an outside
/// process: a bounded poll of its log for the line that says it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running registry, killed when dropped (also when the test panics).
pub struct TestRegistry {
    /// `127.0.0.1:<port>`.
    pub address: String,
    /// The CA that signed its certificate, when it serves TLS.
    pub ca_pem: Option<String>,
    child: Child,
    dir: tempfile::TempDir,
}

/// Basic-auth credentials the TLS registry accepts.
pub const USER: &str = "platform";
/// The password of [`USER`].
pub const PASSWORD: &str = "s3cret-pa55";

impl TestRegistry {
    /// A registry serving plain HTTP without authentication.
    pub fn plain() -> TestRegistry {
        TestRegistry::start(false)
    }

    /// A registry serving HTTPS (a certificate for 127.0.0.1 from a fresh CA) that requires
    /// [`USER`] and [`PASSWORD`] (bcrypt in an htpasswd file, the only hash it accepts).
    pub fn with_auth_and_tls() -> TestRegistry {
        TestRegistry::start(true)
    }

    fn start(is_secure: bool) -> TestRegistry {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n  secret: test-secret\n",
            path("data")
        );
        let mut ca_pem = None;
        if is_secure {
            let ca = TestCa::new("registry CA");
            let (cert, key) = ca.leaf("registry");
            std::fs::write(path("tls.crt"), cert).expect("writable");
            std::fs::write(path("tls.key"), key).expect("writable");
            let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt hashes");
            std::fs::write(path("htpasswd"), format!("{USER}:{hash}\n")).expect("writable");
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\nauth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                path("tls.crt"),
                path("tls.key"),
                path("htpasswd")
            ));
            ca_pem = Some(ca.cert_pem);
        }
        std::fs::write(path("config.yml"), config).expect("writable");
        let mut child = Command::new("docker-registry")
            .args(["serve", &path("config.yml")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot run docker-registry: {error}; install it with `apt-get install -y docker-registry` (scripts/test does)")
            });
        let stderr = child.stderr.take().expect("piped stderr");
        let (listening, address) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("msg=\"listening on ").nth(1) {
                    // `listening on 127.0.0.1:PORT` or, with TLS, `listening on 127.0.0.1:PORT, tls`.
                    let address = rest.split(['"', ',']).next().unwrap_or_default().to_owned();
                    let _ = listening.send(address);
                }
            }
        });
        let mut registry = TestRegistry {
            address: String::new(),
            ca_pem,
            child,
            dir,
        };
        registry.address = address
            .recv_timeout(START_TIMEOUT)
            .expect("docker-registry logs the address it listens on");
        registry
    }

    /// `127.0.0.1:<port>/<repository>`.
    pub fn repository(&self, repository: &str) -> String {
        format!("{}/{repository}", self.address)
    }

    /// Writes the CA certificate to a file and returns its path (TLS registries only).
    pub fn ca_file(&self) -> std::path::PathBuf {
        let path = self.dir.path().join("ca.crt");
        std::fs::write(&path, self.ca_pem.as_deref().expect("a TLS registry")).expect("writable");
        path
    }

    /// Writes a docker config JSON with `user` and `password` for this registry and returns its path.
    pub fn credentials_file(&self, user: &str, password: &str) -> std::path::PathBuf {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let path = self
            .dir
            .path()
            .join(format!("config-{user}-{}.json", password.len()));
        let config = serde_json::json!({"auths": {&self.address: {"auth": auth}}});
        std::fs::write(&path, config.to_string()).expect("writable");
        path
    }

    /// The directory the registry keeps its files in, for files the tests make beside it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

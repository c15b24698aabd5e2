//! How the server reaches registries, as a Kubernetes workload does: credentials from a mounted
//! `kubernetes.io/dockerconfigjson` Secret, Mozilla's roots plus an optional CA bundle, plain HTTP
//! only for the hosts named, and a time limit on every attempt.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;

use super::error::{Error, Result};

/// How long one attempt at a manifest or a layer may take, by default: long enough for a 64 MiB
/// layer on a slow link, short enough that a stuck registry is retried.
pub const DEFAULT_REGISTRY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting to a registry may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where registries are and how to talk to them.
#[derive(Clone, Debug)]
pub struct RegistryAccess {
    /// A docker config JSON (`{"auths": {HOST: {"auth": base64(user:password)}}}`), read again at
    /// every pull so that a rotated Secret takes effect; anonymous when `None`.
    pub credentials: Option<PathBuf>,
    /// PEM certificates to trust besides Mozilla's roots (a private registry's CA).
    pub ca_file: Option<PathBuf>,
    /// Registries (`host:port`) spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// The limit on each attempt.
    pub timeout: Duration,
}

impl Default for RegistryAccess {
    fn default() -> RegistryAccess {
        RegistryAccess {
            credentials: None,
            ca_file: None,
            insecure: Vec::new(),
            timeout: DEFAULT_REGISTRY_TIMEOUT,
        }
    }
}

/// A docker config JSON, as `docker login` writes it and a `kubernetes.io/dockerconfigjson`
/// Secret holds it.
#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
}

#[derive(Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Mozilla's roots as the OCI client takes them, converted once.
static MOZILLA_ROOTS: LazyLock<Vec<Certificate>> = LazyLock::new(|| {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate {
            encoding: CertificateEncoding::Der,
            data: der.to_vec(),
        })
        .collect()
});

impl RegistryAccess {
    /// Reads the credentials file and the CA bundle once, so a server with bad ones does not start.
    ///
    /// # Errors
    /// [`Error::Credentials`] or [`Error::CaFile`].
    pub fn check(&self) -> Result<()> {
        self.credentials_for("")?;
        self.ca_certificate()?;
        Ok(())
    }

    /// A client for one pull or push: a fresh one each time, so credentials stored by the OCI
    /// client never outlive a rotated Secret.
    pub(crate) fn client(&self) -> Result<oci_client::Client> {
        // The one TLS provider of the process, the one tonic uses; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = MOZILLA_ROOTS.clone();
        roots.extend(self.ca_certificate()?);
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(self.insecure.clone()),
            tls_certs_only: roots,
            read_timeout: Some(self.timeout),
            connect_timeout: Some(CONNECT_TIMEOUT),
            // A module is one artifact, not a platform image: an index is refused, not resolved.
            platform_resolver: None,
            ..ClientConfig::default()
        };
        oci_client::Client::try_from(config).map_err(|error| Error::Client {
            cause: Box::new(error),
        })
    }

    /// The credentials for `registry` (`host:port`), anonymous when the file has none for it.
    ///
    /// # Errors
    /// [`Error::Credentials`] when the file cannot be read or parsed.
    pub(crate) fn credentials_for(&self, registry: &str) -> Result<RegistryAuth> {
        let Some(path) = &self.credentials else {
            return Ok(RegistryAuth::Anonymous);
        };
        let problem = |problem: String| Error::Credentials {
            path: path.clone(),
            problem,
        };
        let text =
            std::fs::read(path).map_err(|error| problem(format!("cannot be read: {error}")))?;
        let config: DockerConfig = serde_json::from_slice(&text)
            .map_err(|error| problem(format!("is not a docker config JSON: {error}")))?;
        let entry = config
            .auths
            .iter()
            .find(|(key, _)| normalise(key) == normalise(registry));
        let Some((key, entry)) = entry else {
            return Ok(RegistryAuth::Anonymous);
        };
        match (&entry.auth, &entry.username, &entry.password) {
            (Some(auth), _, _) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                match decoded.as_deref().and_then(|text| text.split_once(':')) {
                    Some((user, password)) => {
                        Ok(RegistryAuth::Basic(user.to_owned(), password.to_owned()))
                    }
                    None => Err(problem(format!(
                        "auths.{key:?}.auth is not the base64 of user:password"
                    ))),
                }
            }
            (None, Some(user), Some(password)) => {
                Ok(RegistryAuth::Basic(user.clone(), password.clone()))
            }
            _ => Err(problem(format!(
                "auths.{key:?} has neither auth nor username and password"
            ))),
        }
    }

    /// The certificates of `--registry-ca-file`, when given.
    fn ca_certificate(&self) -> Result<Option<Certificate>> {
        let Some(path) = &self.ca_file else {
            return Ok(None);
        };
        let problem = |problem: String| Error::CaFile {
            path: path.clone(),
            problem,
        };
        let data =
            std::fs::read(path).map_err(|error| problem(format!("cannot be read: {error}")))?;
        if !String::from_utf8_lossy(&data).contains("-----BEGIN CERTIFICATE-----") {
            return Err(problem("holds no PEM certificate".to_owned()));
        }
        Ok(Some(Certificate {
            encoding: CertificateEncoding::Pem,
            data,
        }))
    }
}

/// A registry as docker config keys name it: without a scheme or a path, and Docker Hub's aliases
/// as one.
fn normalise(key: &str) -> &str {
    let host = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = host.split('/').next().unwrap_or(host);
    match host {
        "docker.io" | "registry-1.docker.io" => "index.docker.io",
        host => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(config: &str) -> (tempfile::NamedTempFile, RegistryAccess) {
        let file = tempfile::NamedTempFile::new().expect("a file");
        std::fs::write(file.path(), config).expect("writable");
        let access = RegistryAccess {
            credentials: Some(file.path().to_owned()),
            ..RegistryAccess::default()
        };
        (file, access)
    }

    fn basic(auth: RegistryAuth) -> Option<(String, String)> {
        match auth {
            RegistryAuth::Basic(user, password) => Some((user, password)),
            _ => None,
        }
    }

    #[test]
    fn credentials_are_found_by_host_in_either_spelling() {
        let (_file, access) = access(
            r#"{"auths": {"https://127.0.0.1:5000/v1/": {"auth": "dXNlcjpwYTpzcw=="},
                          "https://index.docker.io/v1/": {"username": "hub", "password": "x"}}}"#,
        );
        assert_eq!(
            basic(access.credentials_for("127.0.0.1:5000").expect("readable")),
            Some(("user".to_owned(), "pa:ss".to_owned()))
        );
        assert_eq!(
            basic(access.credentials_for("index.docker.io").expect("readable")),
            Some(("hub".to_owned(), "x".to_owned()))
        );
        assert!(matches!(
            access.credentials_for("ghcr.io").expect("readable"),
            RegistryAuth::Anonymous
        ));
    }

    #[test]
    fn a_bad_credentials_file_says_what_it_must_look_like() {
        let (file, access) = access(r#"{"auths": {"ghcr.io": {"auth": "bm8tY29sb24="}}}"#);
        assert_eq!(
            access
                .credentials_for("ghcr.io")
                .expect_err("refused")
                .to_string(),
            format!(
                "--registry-config {}: auths.\"ghcr.io\".auth is not the base64 of user:password; it must be a docker config JSON like {{\"auths\": {{\"HOST\": {{\"auth\": \"<base64 of user:password>\"}}}}}}, as in a kubernetes.io/dockerconfigjson Secret",
                file.path().display()
            )
        );
    }
}

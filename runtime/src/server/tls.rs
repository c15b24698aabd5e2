//! Crossplane's mTLS convention: `tls.crt`, `tls.key` and `ca.crt` in one directory.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::Error;

/// The server's certificate file in the certificates directory.
pub const CERT_FILE: &str = "tls.crt";
/// The server's private key file.
pub const KEY_FILE: &str = "tls.key";
/// The CA that client certificates must chain to.
pub const CA_FILE: &str = "ca.crt";

/// Reads the directory's three files into a TLS config that requires and verifies client certificates.
///
/// # Errors
/// [`Error::TlsFile`] naming the file that cannot be read.
pub fn load(dir: &Path) -> Result<ServerTlsConfig, Error> {
    let read = |name: &str| {
        let path: PathBuf = dir.join(name);
        std::fs::read(&path).map_err(|source| Error::TlsFile { path, source })
    };
    let identity = Identity::from_pem(read(CERT_FILE)?, read(KEY_FILE)?);
    let client_ca = Certificate::from_pem(read(CA_FILE)?);
    Ok(ServerTlsConfig::new()
        .identity(identity)
        .client_ca_root(client_ca))
}

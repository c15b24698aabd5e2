//! Flags that say how registries are reached, shared by `serve`, `module` and `package build`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::duration;
use crate::modules::oci::RegistryAccess;

/// How to reach OCI registries; each flag can also come from the environment variable shown.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Registry credentials: a docker config JSON ({"auths": {"HOST": {"auth":
    /// "BASE64(user:password)"}}}), e.g. the .dockerconfigjson of a mounted kubernetes.io/dockerconfigjson
    /// Secret. Read again at every pull, so a rotated Secret takes effect.
    #[arg(long, value_name = "FILE", env = "FUNCTION_WASMTIME_REGISTRY_CONFIG")]
    registry_config: Option<PathBuf>,
    /// PEM certificates of the CAs that sign private registries, trusted besides Mozilla's roots.
    #[arg(long, value_name = "FILE", env = "FUNCTION_WASMTIME_REGISTRY_CA_FILE")]
    registry_ca_file: Option<PathBuf>,
    /// A registry reached over plain HTTP instead of HTTPS (e.g. 127.0.0.1:5000). Repeatable.
    #[arg(
        long = "insecure-registry",
        value_name = "HOST[:PORT]",
        env = "FUNCTION_WASMTIME_INSECURE_REGISTRIES",
        value_delimiter = ','
    )]
    insecure_registries: Vec<String>,
    /// The time limit on each attempt at a manifest or a layer (three attempts for failures that
    /// may pass).
    #[arg(long, env = "FUNCTION_WASMTIME_REGISTRY_TIMEOUT", default_value = "60s", value_parser = duration)]
    registry_timeout: Duration,
}

impl RegistryArgs {
    /// The access these flags describe, its files read once so bad ones fail now.
    ///
    /// # Errors
    /// An unreadable or malformed credentials file or CA bundle.
    pub fn access(self) -> anyhow::Result<RegistryAccess> {
        let access = RegistryAccess {
            credentials: self.registry_config,
            ca_file: self.registry_ca_file,
            insecure: self.insecure_registries,
            timeout: self.registry_timeout,
        };
        access.check()?;
        Ok(access)
    }
}

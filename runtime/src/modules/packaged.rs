//! The list of modules `package build` put in the image: `/modules/modules.json`, name → sha256
//! and where each came from. `serve` prepares them at start; people and tools read which module
//! a package carries without unpacking it.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file's name in the modules directory.
pub const PACKAGED_MODULES_FILE: &str = "modules.json";

/// The modules of a package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagedModules {
    /// Each module, sorted by name.
    pub modules: Vec<PackagedModule>,
}

/// One module of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackagedModule {
    /// The name a step's `module:` uses; the file is `NAME.wasm`.
    pub name: String,
    /// The module's sha256, `sha256:<hex>`; its precompiled code is `precompiled/<hex>.cwasm`.
    pub sha256: String,
    /// Where `package build` took it from: the file, or the OCI reference with the manifest
    /// digest it resolved to.
    pub source: String,
}

impl PackagedModules {
    /// The list in `modules_dir`, when there is a readable one.
    pub fn read(modules_dir: &Path) -> Option<PackagedModules> {
        let text = std::fs::read(modules_dir.join(PACKAGED_MODULES_FILE)).ok()?;
        match serde_json::from_slice(&text) {
            Ok(modules) => Some(modules),
            Err(error) => {
                tracing::warn!(dir = %modules_dir.display(), "ignoring an unreadable {PACKAGED_MODULES_FILE}: {error}");
                None
            }
        }
    }

    /// The list as the package writes it: pretty JSON ending with a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("the list is plain strings");
        json.push(b'\n');
        json
    }
}

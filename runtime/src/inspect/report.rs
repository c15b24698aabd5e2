//! `module inspect`: what the host sees in a module.

use super::{Loaded, Result, host};
use crate::host::{Compiled, ModuleId, describe_extern};

/// The report `module inspect` prints: name, digest, size, ABI kind (or why it fits neither),
/// exports and imports, one per line.
///
/// # Errors
/// [`super::Error::Host`] when the engine cannot start or the bytes do not compile.
pub fn report(module: &Loaded) -> Result<String> {
    let host = host()?;
    let id = ModuleId {
        name: module.name.clone(),
        digest: module.sha256.clone(),
    };
    let compiled = host.compile(&id, &module.bytes)?;
    let kind = match host.prepare(id, &compiled) {
        Ok(loaded) => loaded.abi().to_string(),
        Err(error) => format!("none: {error}"),
    };
    let mut text = String::new();
    let mut line = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    line(format!("module: {}", module.name));
    line(format!("sha256: sha256:{}", module.sha256));
    line(format!("size: {} bytes", module.bytes.len()));
    line(format!("kind: {kind}"));
    match &compiled {
        Compiled::Core(core) => {
            line("exports:".to_owned());
            for export in core.exports() {
                line(format!(
                    "  {}: {}",
                    export.name(),
                    describe_extern(&export.ty())
                ));
            }
            line("imports:".to_owned());
            for import in core.imports() {
                line(format!(
                    "  {}.{}: {}",
                    import.module(),
                    import.name(),
                    describe_extern(&import.ty())
                ));
            }
        }
        Compiled::Component(component) => {
            let ty = component.component_type();
            line("exports:".to_owned());
            for (name, _) in ty.exports(host.engine()) {
                line(format!("  {name}"));
            }
            line("imports:".to_owned());
            for (name, _) in ty.imports(host.engine()) {
                line(format!("  {name}"));
            }
        }
    }
    Ok(text)
}

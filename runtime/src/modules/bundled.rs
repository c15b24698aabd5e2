//! Modules built from `functions/` by `build.rs` and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled module called `name`, if there is one.
pub(crate) fn find(name: &str) -> Option<&'static [u8]> {
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// The names of all bundled modules, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = BUNDLED.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names
}

//! Modules built from `functions/` by `build.rs` and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The sha256 of each bundled module, in `BUNDLED` order, computed on first use.
static DIGESTS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    BUNDLED
        .iter()
        .map(|(_, bytes)| super::digest::sha256_hex(bytes))
        .collect()
});

/// The bytes and sha256 of the bundled module called `name`, if there is one.
pub(crate) fn find(name: &str) -> Option<(&'static [u8], &'static str)> {
    let index = BUNDLED.iter().position(|(n, _)| *n == name)?;
    Some((BUNDLED[index].1, DIGESTS[index].as_str()))
}

/// The names of all bundled modules, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<_> = BUNDLED.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names
}

//! The crate docs' table of layers, checked against the source: every `crate::` path in a module
//! (outside its unit tests) names a module on a lower line of the table.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Each module's line in the table of `lib.rs`, counted from the top.
fn layers(lib: &str) -> BTreeMap<String, usize> {
    let table = lib
        .split_once("//! ```text\n")
        .and_then(|(_, rest)| rest.split_once("//! ```\n"))
        .expect("lib.rs has a ```text table of layers")
        .0;
    let mut layers = BTreeMap::new();
    for (line, text) in table.lines().enumerate() {
        let text = text.trim_start_matches("//! ");
        let names = text.split_once("  ").map_or(text, |(names, _)| names);
        for name in names.split(", ") {
            layers.insert(name.to_owned(), line);
        }
    }
    layers
}

/// The modules that `source` names as `crate::name` or in `crate::{a, b}`, outside its unit tests.
fn imports(source: &str) -> Vec<&str> {
    let code = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or(source);
    let mut names = Vec::new();
    for (i, prefix) in code.match_indices("crate::") {
        let after = &code[i + prefix.len()..];
        match after.strip_prefix('{') {
            Some(group) => names.extend(group.split('}').next().unwrap_or("").split(',').map(word)),
            None => names.push(word(after)),
        }
    }
    names
}

/// The identifier `s` starts with, after white space.
fn word(s: &str) -> &str {
    let s = s.trim_start();
    &s[..s
        .find(|c: char| !c.is_alphanumeric() && c != '_')
        .unwrap_or(s.len())]
}

#[test]
fn each_module_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = layers(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(path);
        }
    }
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap()
            .trim_end_matches(".rs");
        if matches!(module, "lib" | "layers" | "tests") {
            continue;
        }
        let Some(&line) = layers.get(module) else {
            wrong.push(format!("{module} is not in the table of layers in lib.rs"));
            continue;
        };
        for name in imports(&fs::read_to_string(&file).unwrap()) {
            match layers.get(name) {
                Some(&other) if other > line => {}
                Some(_) => wrong.push(format!("{} uses crate::{name}", relative.display())),
                None => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

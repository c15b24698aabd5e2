//! The files of each language's project: the repository's examples and helpers, embedded, with
//! the example's name replaced by the module's, and the few files written here (build script,
//! manifest, README, a native test).

use std::path::Path;

use super::Language;

/// The repository root, from this file.
macro_rules! repo {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../", $path))
    };
}

/// The world every component is built for.
const WIT: &str = repo!("wit/function.wit");
/// The sample request every project has, for its native test and to try the module by hand: the
/// deployment-status example's, which its own test answers with `RESPONSE`.
const REQUEST: &str = repo!("functions/examples/deployment-status/request.json");
/// What the deployment-status example answers to [`REQUEST`], exactly; a Rust project's test
/// (the example's own) compares with it.
const RESPONSE: &str = repo!("functions/examples/deployment-status/response.json");

/// The files of a `language` project for the module `name`, by path relative to the project:
/// the language's own, then the build script, the sample request and the README. `checkout` is
/// a function-wasmtime checkout the Rust or Go project uses by path.
pub(super) fn files(
    language: Language,
    name: &str,
    checkout: Option<&Path>,
) -> Vec<(String, String)> {
    let mut files = match language {
        Language::Rust => rust_files(name, checkout),
        Language::Go => go_files(name, checkout),
        Language::Python => python_files(name),
        Language::Js => js_files(name),
        Language::C => c_files(),
        Language::Assemblyscript => assemblyscript_files(name),
    };
    files.push(("build.sh", build_script(&build_steps(language, name))));
    files.push(("request.json", REQUEST.to_owned()));
    files.push(("README.md", readme(language, name)));
    files
        .into_iter()
        .map(|(path, contents)| (path.to_owned(), contents))
        .collect()
}

/// The files of a Rust project: the deployment-status example on `xfn-sdk`.
fn rust_files(name: &str, checkout: Option<&Path>) -> Vec<(&'static str, String)> {
    vec![
        ("Cargo.toml", rust_manifest(name, checkout)),
        ("response.json", RESPONSE.to_owned()),
        (
            "src/lib.rs",
            renamed(
                name,
                repo!("functions/examples/deployment-status/src/lib.rs"),
            ),
        ),
    ]
}

/// The files of a Go project: the deployment-status example on `functions/go`, with a native
/// test.
fn go_files(name: &str, checkout: Option<&Path>) -> Vec<(&'static str, String)> {
    vec![
        ("go.mod", go_manifest(name, checkout)),
        (
            "go.sum",
            repo!("functions/examples/go-deployment-status/go.sum").to_owned(),
        ),
        (
            "compose.go",
            renamed(
                name,
                repo!("functions/examples/go-deployment-status/compose.go"),
            ),
        ),
        (
            "reactor.go",
            repo!("functions/examples/go-deployment-status/reactor.go").to_owned(),
        ),
        (
            "command.go",
            repo!("functions/examples/go-deployment-status/command.go").to_owned(),
        ),
        ("compose_test.go", renamed(name, GO_TEST)),
    ]
}

/// The files of a Python project: the deployment-status example, the helper, the WIT world and
/// a native test.
fn python_files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "app.py",
            renamed(
                name,
                repo!("functions/examples/python-deployment-status/app.py"),
            ),
        ),
        ("xfn.py", repo!("functions/python/xfn.py").to_owned()),
        (
            "requirements.txt",
            repo!("functions/python/requirements.txt").to_owned(),
        ),
        ("wit/function.wit", WIT.to_owned()),
        ("test_app.py", renamed(name, PYTHON_TEST)),
    ]
}

/// The files of a JavaScript project: the deployment-status example, the helper, the WIT world
/// and a native test.
fn js_files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "app.js",
            repo!("functions/examples/js-deployment-status/app.js").to_owned(),
        ),
        (
            "compose.js",
            renamed(
                name,
                repo!("functions/examples/js-deployment-status/compose.js"),
            ),
        ),
        ("xfn.js", repo!("functions/javascript/xfn.js").to_owned()),
        (
            "package.json",
            repo!("functions/javascript/package.json").to_owned(),
        ),
        (
            "package-lock.json",
            repo!("functions/javascript/package-lock.json").to_owned(),
        ),
        ("wit/function.wit", WIT.to_owned()),
        ("compose.test.js", renamed(name, JS_TEST)),
    ]
}

/// The files of a C project: the hello example and its JSON reader.
fn c_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "hello.c",
            repo!("functions/examples/c-hello/hello.c").to_owned(),
        ),
        (
            "json.c",
            repo!("functions/examples/c-hello/json.c").to_owned(),
        ),
        (
            "json.h",
            repo!("functions/examples/c-hello/json.h").to_owned(),
        ),
    ]
}

/// The files of an AssemblyScript project: the hello example, renamed in `asconfig.json`.
fn assemblyscript_files(name: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "assembly/index.ts",
            repo!("functions/examples/assemblyscript-hello/assembly/index.ts").to_owned(),
        ),
        (
            "assembly/json.ts",
            repo!("functions/examples/assemblyscript-hello/assembly/json.ts").to_owned(),
        ),
        (
            "asconfig.json",
            repo!("functions/examples/assemblyscript-hello/asconfig.json")
                .replace("assemblyscript-hello", name),
        ),
        (
            "package.json",
            repo!("functions/examples/assemblyscript-hello/package.json").to_owned(),
        ),
        (
            "package-lock.json",
            repo!("functions/examples/assemblyscript-hello/package-lock.json").to_owned(),
        ),
    ]
}

/// `text` with the example's name, `deployment-status`, replaced by the module's.
fn renamed(name: &str, text: &str) -> String {
    text.replace("deployment-status", name)
}

/// The steps of the project's build script, which writes `<name>.wasm`.
fn build_steps(language: Language, name: &str) -> String {
    match language {
        Language::Rust => format!(
            "cargo build --release --target wasm32-wasip1\n\
             cp \"${{CARGO_TARGET_DIR:-target}}/wasm32-wasip1/release/{}.wasm\" {name}.wasm",
            name.replace('-', "_")
        ),
        Language::Go => {
            format!("GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o {name}.wasm .")
        }
        Language::Python => format!(
            "# $COMPONENTIZE_PY names an installed componentize-py; otherwise one is installed in .venv.\n\
             if [ -z \"${{COMPONENTIZE_PY:-}}\" ]; then\n\
             \x20   COMPONENTIZE_PY=.venv/bin/componentize-py\n\
             \x20   [ -x \"$COMPONENTIZE_PY\" ] || {{ python3 -m venv .venv && .venv/bin/pip install -q --require-hashes -r requirements.txt; }}\n\
             fi\n\
             \"$COMPONENTIZE_PY\" -d wit -w function componentize -p . app -o {name}.wasm"
        ),
        Language::Js => format!(
            "# $COMPONENTIZE_JS names an installed componentize-js; otherwise the pinned one is installed in node_modules.\n\
             if [ -z \"${{COMPONENTIZE_JS:-}}\" ]; then\n\
             \x20   COMPONENTIZE_JS=node_modules/.bin/componentize-js\n\
             \x20   [ -x \"$COMPONENTIZE_JS\" ] || npm ci --no-audit --no-fund --silent\n\
             fi\n\
             \"$COMPONENTIZE_JS\" --wit wit --world-name function --disable http fetch-event -o {name}.wasm app.js"
        ),
        Language::C => format!(
            "# clang, lld, wasi-libc and libclang-rt-dev-wasm32 (Debian's names).\n\
             clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor -o {name}.wasm hello.c json.c"
        ),
        Language::Assemblyscript => format!(
            "[ -x node_modules/.bin/asc ] || npm ci --no-audit --no-fund --silent\n\
             npx --no-install asc assembly/index.ts --target release --outFile {name}.wasm"
        ),
    }
}

/// A POSIX shell script that runs `steps` in the project's folder, stopping at the first failure.
fn build_script(steps: &str) -> String {
    format!(
        "#!/bin/sh\n# Builds the module into this folder.\nset -eu\ncd \"$(dirname \"$0\")\"\n{steps}\n"
    )
}

/// `Cargo.toml` of a Rust project: a cdylib on `xfn-sdk`, by path into `checkout` if given.
fn rust_manifest(name: &str, checkout: Option<&Path>) -> String {
    let sdk = checkout.map_or_else(
        || "version = \"0.1\"".to_owned(),
        |checkout| format!("path = {:?}", checkout.join("functions/sdk")),
    );
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
xfn-sdk = {{ {sdk} }}
serde_json = "1"

# The test harness for `cargo test --target <host triple>` (xfn_sdk::testing).
[dev-dependencies]
xfn-sdk = {{ {sdk}, features = ["testing"] }}

# Small, fast modules. panic = "abort": a panic traps the module and the host reports it.
[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"

# A project of its own, even inside another workspace's folder.
[workspace]
"#
    )
}

/// `go.mod` of a Go project: the example's, with the module's path and the helper's replacement
/// by `checkout`'s copy if given.
fn go_manifest(name: &str, checkout: Option<&Path>) -> String {
    let example = repo!("functions/examples/go-deployment-status/go.mod");
    let body: Vec<&str> = example
        .lines()
        .filter(|line| !line.starts_with("module ") && !line.starts_with("replace "))
        .collect();
    let replace = checkout.map_or_else(String::new, |checkout| {
        format!(
            "\nreplace github.com/crossplane-contrib/function-wasmtime/functions/go => {}\n",
            checkout.join("functions/go").display()
        )
    });
    format!(
        "module example.com/{name}\n{}{replace}",
        body.join("\n").trim_end().to_owned() + "\n"
    )
}

/// A Go test running the handler natively on `request.json`.
const GO_TEST: &str = r#"package main

import (
	"encoding/json"
	"os"
	"testing"

	xfn "github.com/crossplane-contrib/function-wasmtime/functions/go"
)

// TestSampleRequest runs compose on request.json as the module would.
func TestSampleRequest(t *testing.T) {
	request, err := os.ReadFile("request.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := xfn.Run(compose, request)
	if err != nil {
		t.Fatal(err)
	}
	var rsp map[string]any
	if err := json.Unmarshal(out, &rsp); err != nil {
		t.Fatal(err)
	}
	status := xfn.Get(rsp, "desired.composite.resource.status").(map[string]any)
	if status["readyReplicas"] != 4.0 || status["availableDeployments"] != 1.0 {
		t.Fatalf("deployment-status: status %v, want readyReplicas 4 and availableDeployments 1", status)
	}
}
"#;

/// A Python test running the handler natively on `request.json`.
const PYTHON_TEST: &str = r#""""The handler on request.json, natively: python3 -m unittest"""

import json
import pathlib
import unittest

import app
import xfn


class SampleRequest(unittest.TestCase):
    def test_rolls_up_the_observed_deployments(self):
        request = pathlib.Path(__file__).with_name("request.json").read_bytes()
        rsp = json.loads(xfn.run_json(app.compose, request))
        self.assertEqual(
            rsp["desired"]["composite"]["resource"]["status"],
            {"phase": "Deploying", "readyReplicas": 4, "availableDeployments": 1},
            "deployment-status",
        )


if __name__ == "__main__":
    unittest.main()
"#;

/// A Node test running the handler natively on `request.json`.
const JS_TEST: &str = r#"// The handler on request.json, natively: node --test

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compose } from './compose.js';
import * as xfn from './xfn.js';

test('rolls up the observed deployments', () => {
  const request = readFileSync(new URL('request.json', import.meta.url));
  const rsp = JSON.parse(new TextDecoder().decode(xfn.runJson(compose, request)));
  assert.deepEqual(
    rsp.desired.composite.resource.status,
    { phase: 'Deploying', readyReplicas: 4, availableDeployments: 1 },
    'deployment-status',
  );
});
"#;

/// The project's README: what it is, how to test and build it, and how a Composition uses it.
fn readme(language: Language, name: &str) -> String {
    let (what, test) = match language {
        Language::Rust => ("a reactor in Rust on `xfn-sdk`", "cargo test"),
        Language::Go => (
            "a reactor in Go on function-sdk-go's request and response types (`command.go` makes the same code a WASI command with `-tags command`)",
            "go test ./...",
        ),
        Language::Python => (
            "a component in Python, built by componentize-py (pinned in requirements.txt)",
            "python3 -m unittest",
        ),
        Language::Js => (
            "a component in JavaScript, built by componentize-js (pinned in package-lock.json)",
            "node --test",
        ),
        Language::C => (
            "a reactor in C on wasi-libc",
            "./build.sh, then run request.json through the server (below)",
        ),
        Language::Assemblyscript => (
            "a reactor in AssemblyScript",
            "./build.sh, then run request.json through the server (below)",
        ),
    };
    format!(
        r#"# {name}

A function-wasmtime module: {what}. docs/authoring.md of function-wasmtime explains each language.

- Test: `{test}` (on `request.json`, a sample RunFunctionRequest).
- Build: `./build.sh` writes `{name}.wasm`.
- Check: `function-wasmtime serve --insecure --modules-dir .` serves it as the module `{name}`.
- Use: put `{name}.wasm` in the function's package or a modules directory and name it in a step:

```yaml
- step: {name}
  functionRef:
    name: function-wasmtime
  input:
    apiVersion: wasmtime.fn.crossplane.io/v1alpha1
    kind: Module
    module: {name}
```
"#
    )
}

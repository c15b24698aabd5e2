//! Which guest ABI a module speaks, read from its exports (docs/ABI.md); components are checked
//! in `component/exports.rs`.

use wasmtime::{ExternType, Module, ValType};

/// Export that makes a module a reactor: `xfn_run_v1(ptr: i32, len: i32) -> i32`.
pub(crate) const RUN_EXPORT: &str = "xfn_run_v1";
/// Reactor allocator: `cabi_realloc(old_ptr, old_len, align, new_len) -> ptr`.
pub(crate) const REALLOC_EXPORT: &str = "cabi_realloc";
/// Optional reactor start-up function (WASI reactors), called once per instance.
pub(crate) const INITIALIZE_EXPORT: &str = "_initialize";
/// Export that makes a module a WASI command.
pub(crate) const START_EXPORT: &str = "_start";
/// The guest memory both ABIs need.
pub(crate) const MEMORY_EXPORT: &str = "memory";

/// How the host talks to a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// Request written into guest memory, `xfn_run_v1` called, response taken from `xfn.set_output`
    /// (after `_initialize`, when the module exports it).
    Reactor,
    /// A WASI command: request on stdin, response on stdout, exit status.
    Command,
    /// A component of the world in `wit/function.wit`: `run(request) -> result<response, error>`.
    Component,
}

impl Abi {
    /// The ABI's short name in messages: `reactor`, `WASI command`, `component`.
    pub fn name(self) -> &'static str {
        match self {
            Abi::Reactor => "reactor",
            Abi::Command => "WASI command",
            Abi::Component => "component",
        }
    }
}

impl std::fmt::Display for Abi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abi::Reactor => f.write_str("reactor (xfn ABI v1)"),
            Abi::Command => f.write_str("WASI command"),
            Abi::Component => f.write_str("component (wasmtime:function@1)"),
        }
    }
}

/// Why a module's exports do not fit either ABI; the message is the part after the module's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiMismatch {
    /// Neither ABI's entry point is exported.
    #[error(
        "exports neither {RUN_EXPORT} (reactor) nor {START_EXPORT} (WASI command); export one of them as docs/ABI.md describes"
    )]
    NoEntryPoint,
    /// A component does not export the world's interface.
    #[error(
        "is a component but does not export wasmtime:function/handler@1.x (it exports {exports}); build it for the world `function` of wit/function.wit"
    )]
    NoHandler {
        /// What it exports instead.
        exports: String,
    },
    /// An export the ABI needs is absent.
    #[error("is a {} but does not export {name}; export it as docs/ABI.md describes", abi.name())]
    MissingExport {
        /// The ABI the module was detected as.
        abi: Abi,
        /// The missing export.
        name: &'static str,
    },
    /// An export has the wrong kind or signature.
    #[error("exports {name} as {found}, the ABI needs {expected}")]
    WrongSignature {
        /// The export.
        name: &'static str,
        /// What the ABI needs, e.g. `func(i32, i32) -> i32`.
        expected: &'static str,
        /// What the module has.
        found: String,
    },
}

/// Reads `module`'s exports and tells its ABI, checking every signature the ABI relies on.
///
/// # Errors
/// [`AbiMismatch`] when neither entry point is exported or an export has the wrong shape.
pub(crate) fn detect(module: &Module) -> Result<Abi, AbiMismatch> {
    if module.get_export(RUN_EXPORT).is_some() {
        expect_func(
            module,
            RUN_EXPORT,
            &[ValType::I32, ValType::I32],
            &[ValType::I32],
            "func(i32, i32) -> i32",
        )?;
        expect_present(module, REALLOC_EXPORT, Abi::Reactor)?;
        expect_func(
            module,
            REALLOC_EXPORT,
            &[ValType::I32, ValType::I32, ValType::I32, ValType::I32],
            &[ValType::I32],
            "func(i32, i32, i32, i32) -> i32",
        )?;
        expect_memory(module, Abi::Reactor)?;
        if module.get_export(INITIALIZE_EXPORT).is_some() {
            expect_func(module, INITIALIZE_EXPORT, &[], &[], "func()")?;
        }
        return Ok(Abi::Reactor);
    }
    if module.get_export(START_EXPORT).is_some() {
        expect_func(module, START_EXPORT, &[], &[], "func()")?;
        expect_memory(module, Abi::Command)?;
        return Ok(Abi::Command);
    }
    Err(AbiMismatch::NoEntryPoint)
}

fn expect_present(module: &Module, name: &'static str, abi: Abi) -> Result<(), AbiMismatch> {
    match module.get_export(name) {
        Some(_) => Ok(()),
        None => Err(AbiMismatch::MissingExport { abi, name }),
    }
}

fn expect_memory(module: &Module, abi: Abi) -> Result<(), AbiMismatch> {
    match module.get_export(MEMORY_EXPORT) {
        Some(ExternType::Memory(memory)) if !memory.is_64() => Ok(()),
        Some(other) => Err(AbiMismatch::WrongSignature {
            name: MEMORY_EXPORT,
            expected: "a 32-bit memory",
            found: describe(&other),
        }),
        None => Err(AbiMismatch::MissingExport {
            abi,
            name: MEMORY_EXPORT,
        }),
    }
}

fn expect_func(
    module: &Module,
    name: &'static str,
    params: &[ValType],
    results: &[ValType],
    expected: &'static str,
) -> Result<(), AbiMismatch> {
    let export = module.get_export(name);
    let fits = match &export {
        Some(ExternType::Func(func)) => {
            same_types(func.params(), params) && same_types(func.results(), results)
        }
        _ => false,
    };
    if fits {
        return Ok(());
    }
    Err(AbiMismatch::WrongSignature {
        name,
        expected,
        found: export
            .as_ref()
            .map_or_else(|| "nothing".to_owned(), describe),
    })
}

fn same_types(found: impl ExactSizeIterator<Item = ValType>, wanted: &[ValType]) -> bool {
    found.len() == wanted.len() && found.zip(wanted).all(|(a, b)| ValType::eq(&a, b))
}

/// How `export` is shown in messages and by `module inspect`: `func(i32, i32) -> (i32)`, `a memory`, …
pub fn describe(export: &ExternType) -> String {
    match export {
        ExternType::Func(func) => {
            let list = |types: &mut dyn Iterator<Item = ValType>| {
                types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
            };
            format!(
                "func({}) -> ({})",
                list(&mut func.params()),
                list(&mut func.results())
            )
        }
        ExternType::Memory(_) => "a memory".to_owned(),
        ExternType::Table(_) => "a table".to_owned(),
        ExternType::Global(_) => "a global".to_owned(),
        ExternType::Tag(_) => "a tag".to_owned(),
    }
}

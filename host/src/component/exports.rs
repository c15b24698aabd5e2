//! Whether a component exports the world of `wit/function.wit`, read from its type before it runs.

use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::{Component, ComponentExportIndex};

use crate::{Abi, AbiMismatch};

/// The interface a function component exports, at ABI version 1 (any 1.x: the host looks for this
/// prefix, so components built against a later compatible minor version work).
pub(crate) const HANDLER_INTERFACE_V1: &str = "wasmtime:function/handler@1.";
/// The function of that interface the host calls.
pub(crate) const RUN_FUNCTION: &str = "run";
/// The type `run` must have, as WIT writes it.
const RUN_TYPE: &str = "func(request: list<u8>) -> result<list<u8>, string>";

/// Finds `wasmtime:function/handler@1.x`'s `run` in `component`'s exports and checks its type.
///
/// # Errors
/// [`AbiMismatch::NoHandler`] when the interface is not exported (a component of another world),
/// [`AbiMismatch::MissingExport`] when it has no `run`, [`AbiMismatch::WrongSignature`] when `run`
/// has another type.
pub(crate) fn detect(component: &Component) -> Result<ComponentExportIndex, AbiMismatch> {
    let engine = component.engine();
    let ty = component.component_type();
    let handler = ty
        .exports(engine)
        .map(|(name, _)| name)
        .find(|name| name.starts_with(HANDLER_INTERFACE_V1));
    let Some((_, interface)) = handler.and_then(|name| component.get_export(None, name)) else {
        let exports: Vec<_> = ty.exports(engine).map(|(name, _)| name).collect();
        return Err(AbiMismatch::NoHandler {
            exports: if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            },
        });
    };
    match component.get_export(Some(&interface), RUN_FUNCTION) {
        Some((ComponentItem::ComponentFunc(func), index)) if has_run_type(&func) => Ok(index),
        Some((ComponentItem::ComponentFunc(func), _)) => Err(AbiMismatch::WrongSignature {
            name: RUN_FUNCTION,
            expected: RUN_TYPE,
            found: describe_func(&func),
        }),
        Some(_) => Err(AbiMismatch::WrongSignature {
            name: RUN_FUNCTION,
            expected: RUN_TYPE,
            found: "something other than a function".to_owned(),
        }),
        None => Err(AbiMismatch::MissingExport {
            abi: Abi::Component,
            name: RUN_FUNCTION,
        }),
    }
}

/// Whether `func` is `func(list<u8>) -> result<list<u8>, string>`.
fn has_run_type(func: &ComponentFunc) -> bool {
    let is_bytes = |ty: &Type| matches!(ty, Type::List(list) if list.ty() == Type::U8);
    let mut params = func.params();
    let mut results = func.results();
    let param_fits = params.len() == 1 && params.next().is_some_and(|(_, ty)| is_bytes(&ty));
    let result_fits = results.len() == 1
        && results.next().is_some_and(|ty| match ty {
            Type::Result(result) => {
                result.ok().as_ref().is_some_and(is_bytes) && result.err() == Some(Type::String)
            }
            _ => false,
        });
    param_fits && result_fits
}

/// `func` as WIT writes it.
fn describe_func(func: &ComponentFunc) -> String {
    let params: Vec<_> = func
        .params()
        .map(|(name, ty)| format!("{name}: {}", describe(&ty)))
        .collect();
    let results: Vec<_> = func.results().map(|ty| describe(&ty)).collect();
    match results.as_slice() {
        [] => format!("func({})", params.join(", ")),
        [result] => format!("func({}) -> {result}", params.join(", ")),
        _ => format!("func({}) -> ({})", params.join(", "), results.join(", ")),
    }
}

/// A type as WIT writes it, in enough detail to tell it from the one expected.
fn describe(ty: &Type) -> String {
    match ty {
        Type::U8 => "u8".to_owned(),
        Type::U32 => "u32".to_owned(),
        Type::S32 => "s32".to_owned(),
        Type::String => "string".to_owned(),
        Type::List(list) => format!("list<{}>", describe(&list.ty())),
        Type::Result(result) => {
            let part = |ty: Option<Type>| ty.map_or_else(|| "_".to_owned(), |ty| describe(&ty));
            format!("result<{}, {}>", part(result.ok()), part(result.err()))
        }
        other => format!("{other:?}")
            .split(['(', ' '])
            .next()
            .unwrap_or_default()
            .to_lowercase(),
    }
}

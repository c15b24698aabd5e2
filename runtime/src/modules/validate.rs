//! A cheap look at an inline module before Cranelift sees it: caps on what makes compiling slow.
//!
//! Cranelift's time and memory grow with the number of functions, the size of each body and the
//! number of locals (each becomes a variable the register allocator tracks). wasmtime's own
//! validation allows a million functions, 7.6 MB bodies and 50 000 locals per function; a 3 MiB
//! inline module near those can hold a compile thread for many seconds. Inline modules come from
//! requests, so they get tighter caps, each well above what real modules use: the largest
//! bundled module (patch-and-transform) defines 1 863 functions, its largest body is 48 KiB and
//! its most locals in one function 443. Bundled and `--modules-dir` modules are the operator's
//! and are not checked.
//!
//! The pass reads section headers and each body's local declarations, not its code. Bytes it
//! cannot parse are left to the compiler, which says precisely what is wrong with them.

use wasmparser::{Parser, Payload};

/// Most functions an inline module may define (imports not counted).
pub const MAX_INLINE_FUNCTIONS: u32 = 20_000;
/// Largest body of one function of an inline module, in bytes.
pub const MAX_INLINE_FUNCTION_BYTES: usize = 256 * 1024;
/// Most locals one function of an inline module may declare.
pub const MAX_INLINE_FUNCTION_LOCALS: u64 = 10_000;

/// Which cap an inline module is over; the message is the part after the module's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Complexity {
    /// It defines too many functions.
    #[error(
        "defines {count} functions, over the limit of {MAX_INLINE_FUNCTIONS} for inline modules"
    )]
    Functions {
        /// How many it defines.
        count: u32,
    },
    /// One function body is too large.
    #[error(
        "function body {index} is {len} bytes, over the limit of {MAX_INLINE_FUNCTION_BYTES} bytes for inline modules"
    )]
    BodySize {
        /// The body's position in the code section, from 0.
        index: u32,
        /// Its size in bytes.
        len: usize,
    },
    /// One function declares too many locals.
    #[error(
        "function body {index} declares {count} locals, over the limit of {MAX_INLINE_FUNCTION_LOCALS} for inline modules"
    )]
    Locals {
        /// The body's position in the code section, from 0.
        index: u32,
        /// How many locals it declares.
        count: u64,
    },
}

/// Checks `bytes` against the caps for inline modules.
///
/// # Errors
/// The first cap the module is over.
pub(super) fn check(bytes: &[u8]) -> Result<(), Complexity> {
    let mut index = 0u32;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::FunctionSection(section)) if section.count() > MAX_INLINE_FUNCTIONS => {
                return Err(Complexity::Functions {
                    count: section.count(),
                });
            }
            Ok(Payload::CodeSectionEntry(body)) => {
                let len = body.range().len();
                if len > MAX_INLINE_FUNCTION_BYTES {
                    return Err(Complexity::BodySize { index, len });
                }
                let Ok(locals) = body.get_locals_reader() else {
                    return Ok(());
                };
                let mut count = 0u64;
                for declaration in locals {
                    let Ok((declared, _)) = declaration else {
                        return Ok(());
                    };
                    count = count.saturating_add(u64::from(declared));
                    if count > MAX_INLINE_FUNCTION_LOCALS {
                        return Err(Complexity::Locals { index, count });
                    }
                }
                index = index.saturating_add(1);
            }
            Ok(_) => {}
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasm(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("valid WAT")
    }

    #[test]
    fn modules_within_the_caps_and_bytes_that_are_not_wasm_pass() {
        assert_eq!(check(&wasm("(module (func (local i32 i64) nop))")), Ok(()));
        assert_eq!(check(b"\0\0\0"), Ok(()));
    }

    #[test]
    fn each_cap_names_what_is_over_it() {
        let functions = format!("(module {})", "(func)".repeat(20_001));
        assert_eq!(
            check(&wasm(&functions)),
            Err(Complexity::Functions { count: 20_001 })
        );
        // A body: its locals (one byte: none), 300 000 `nop`s and `end`.
        let body = format!("(module (func) (func {}))", "nop ".repeat(300_000));
        assert_eq!(
            check(&wasm(&body)),
            Err(Complexity::BodySize {
                index: 1,
                len: 300_002
            })
        );
        let locals = "(module (func) (func (local i32 i32) (local i64)) (func (local ".to_owned()
            + &"i32 ".repeat(10_001)
            + ")))";
        assert_eq!(
            check(&wasm(&locals)),
            Err(Complexity::Locals {
                index: 2,
                count: 10_001
            })
        );
    }
}

//! Go's `strconv`, the parts upstream reaches through `convert` transforms, `fmt` and
//! `encoding/json`: parsing numbers and booleans, formatting floats, quoting strings.
//!
//! It depends on nothing else in the crate.

mod format;
mod parse;
mod quote;

pub use format::{format_binary_float, format_float, format_hex_float};
pub use parse::{parse_bool, parse_float, parse_int};
pub use quote::{quote, quote_rune, quote_string};

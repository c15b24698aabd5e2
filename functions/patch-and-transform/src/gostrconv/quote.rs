//! Go's `strconv.Quote` and `QuoteRune`, with their `ToASCII` forms, and `IsPrint`, which
//! decides what they escape.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;

/// Go's `strconv.Quote`: `"..."` with Go's escapes.
pub fn quote(s: &str) -> String {
    quote_string(s, false)
}

/// Go's `strconv.Quote`, or `QuoteToASCII` when `is_ascii`.
pub fn quote_string(s: &str, is_ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        quote_char(&mut out, c, '"', is_ascii);
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune`, or `QuoteRuneToASCII` when `is_ascii`: `'c'` with Go's escapes.
pub fn quote_rune(c: char, is_ascii: bool) -> String {
    let mut out = String::from("'");
    quote_char(&mut out, c, '\'', is_ascii);
    out.push('\'');
    out
}

/// Appends `c` as it stands between the quotes `quote`, escaped as Go escapes it.
fn quote_char(out: &mut String, c: char, quote: char, is_ascii: bool) {
    match c {
        c if c == quote || c == '\\' => {
            out.push('\\');
            out.push(c);
        }
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_ascii() => out.push(c),
        c if is_ascii || !is_go_printable(c) => {
            if (c as u32) < 0x10000 {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
        c => out.push(c),
    }
}

/// Go's `strconv.IsPrint` beyond ASCII: letters, marks, numbers, punctuation and symbols
/// (Unicode categories L, M, N, P and S), by the Unicode tables of Rust's `regex` (Go 1.26 has
/// Unicode 15.0; characters assigned later are printable here only).
fn is_go_printable(c: char) -> bool {
    static PRINTABLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S}]$").expect("a valid character class")
    });
    PRINTABLE.is_match(c.encode_utf8(&mut [0; 4]))
}

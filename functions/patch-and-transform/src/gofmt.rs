//! Go's `fmt.Sprintf` over JSON values, where upstream formats: `string` transforms of type
//! `Format`, `combine.string.fmt`, and the `%v` stringification of every other string transform.
//!
//! Arguments are the Go values described in [`crate::value`]. Supported: the flags `+ - # 0`
//! and space, width and precision (also `*`), explicit argument indexes (`%[2]s`), and the verbs
//! `v s q x X d b o O c U t e E f F g G T %`, with Go's in-band errors: `%!d(string=a)`,
//! `%!s(MISSING)`, `%!(EXTRA float64=5)`, `%!(NOVERB)`, `%!v(BADINDEX)`, `%!(BADWIDTH)`,
//! `%!(BADPREC)`. Floats are written by [`crate::gostrconv`], as Go's `fmt` has `strconv` write them.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::gostrconv::{
    format_binary_float, format_float, format_hex_float, quote, quote_rune, quote_string,
};
use crate::value::{Piped, go_float_name, go_type, is_int64};

/// Flags, width and precision of one verb.
#[derive(Clone, Copy, Debug, Default)]
struct Spec {
    plus: bool,
    /// `#` on the verb `v`: Go syntax. Go moves `#` here (and drops `+`) for `%v` only, so a
    /// bad verb's value, printed as `v` with the verb's own flags, is not Go syntax.
    sharp_v: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

impl Spec {
    /// This spec with the `0` flag set to `zero`.
    fn with_zero(self, zero: bool) -> Spec {
        Spec { zero, ..self }
    }
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Piped]) -> String {
    let mut printer = Printer {
        out: String::new(),
        format,
        args,
        i: 0,
        arg_num: 0,
        is_reordered: false,
        is_good_arg: true,
    };
    let bytes = format.as_bytes();
    while printer.i < bytes.len() {
        let start = printer.i;
        while printer.i < bytes.len() && bytes[printer.i] != b'%' {
            printer.i += 1;
        }
        printer.out.push_str(&format[start..printer.i]);
        if printer.i >= bytes.len() {
            break;
        }
        printer.i += 1;
        if !printer.directive() {
            break;
        }
    }
    printer.extra();
    printer.out
}

/// One `Sprintf` under way: Go's `pp` and the state of its `doPrintf`.
struct Printer<'a> {
    out: String,
    format: &'a str,
    args: &'a [Piped],
    /// The position in `format`.
    i: usize,
    /// The argument the next verb takes.
    arg_num: usize,
    /// Whether an explicit index (`%[2]d`) appeared; Go then reports no extra arguments.
    is_reordered: bool,
    /// Whether the current directive's explicit indexes are valid.
    is_good_arg: bool,
}

impl Printer<'_> {
    /// The directive after a `%`: flags, width, precision and verb. Returns false when the
    /// format ends before the verb (`%!(NOVERB)`).
    fn directive(&mut self) -> bool {
        let bytes = self.format.as_bytes();
        let end = bytes.len();
        let mut spec = self.flags();
        self.is_good_arg = true;
        let mut after_index = self.arg_number();
        after_index = self.width(&mut spec, after_index);
        if self.i + 1 < end && bytes[self.i] == b'.' {
            after_index = self.precision(&mut spec, after_index);
        }
        if !after_index {
            self.arg_number();
        }
        if self.i >= end {
            self.out.push_str("%!(NOVERB)");
            return false;
        }
        let verb = self.format[self.i..]
            .chars()
            .next()
            .expect("i < end is a char boundary");
        self.i += verb.len_utf8();
        self.verb(verb, spec);
        true
    }

    /// The flags `# 0 + -` and space.
    fn flags(&mut self) -> Spec {
        let bytes = self.format.as_bytes();
        let mut spec = Spec::default();
        while self.i < bytes.len() {
            match bytes[self.i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = true,
                b'+' => spec.plus = true,
                b'-' => spec.minus = true,
                b' ' => spec.space = true,
                _ => break,
            }
            self.i += 1;
        }
        spec
    }

    /// The width, from the format or from an argument (`*`). Returns whether an explicit index
    /// still applies to the verb.
    fn width(&mut self, spec: &mut Spec, after_index: bool) -> bool {
        if self.format.as_bytes().get(self.i) == Some(&b'*') {
            match self.star_arg() {
                Some(width) => {
                    if width < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(usize::try_from(width.unsigned_abs()).unwrap_or(usize::MAX));
                }
                None => self.out.push_str("%!(BADWIDTH)"),
            }
            return false;
        }
        let (width, next) = parse_number(self.format.as_bytes(), self.i);
        spec.width = width;
        self.i = next;
        if after_index && width.is_some() {
            self.is_good_arg = false;
        }
        after_index
    }

    /// The precision after a `.`, from the format or from an argument (`*`). Returns whether an
    /// explicit index still applies to the verb.
    fn precision(&mut self, spec: &mut Spec, after_index: bool) -> bool {
        self.i += 1;
        if after_index {
            self.is_good_arg = false;
        }
        let after_index = self.arg_number();
        if self.format.as_bytes().get(self.i) == Some(&b'*') {
            match self.star_arg() {
                Some(precision) if precision >= 0 => {
                    spec.precision = usize::try_from(precision).ok();
                }
                _ => self.out.push_str("%!(BADPREC)"),
            }
            return false;
        }
        let (precision, next) = parse_number(self.format.as_bytes(), self.i);
        spec.precision = Some(precision.unwrap_or(0));
        self.i = next;
        after_index
    }

    /// The `int64` argument a `*` at `i` stands for, if the argument is one; it is used up either
    /// way.
    fn star_arg(&mut self) -> Option<i64> {
        self.i += 1;
        let n = int_arg(self.args, self.arg_num);
        self.arg_num += 1;
        n
    }

    /// Go's `argNumber`: an explicit `[n]` index at `i`, if any, becomes the next argument.
    /// Returns whether there was one.
    fn arg_number(&mut self) -> bool {
        let bytes = self.format.as_bytes();
        if self.i >= bytes.len() || bytes[self.i] != b'[' {
            return false;
        }
        self.is_reordered = true;
        let rest = &bytes[self.i..];
        let (index, width, ok) = match rest.iter().position(|&b| b == b']') {
            Some(close) if rest.len() >= 3 => match parse_number(rest, 1) {
                (Some(n), next) if next == close => (n.checked_sub(1), close + 1, true),
                _ => (None, close + 1, false),
            },
            _ => (None, 1, false),
        };
        self.i += width;
        match index {
            Some(index) if ok && index < self.args.len() => {
                self.arg_num = index;
                true
            }
            _ => {
                self.is_good_arg = false;
                ok
            }
        }
    }

    /// The verb, with its argument or Go's in-band error.
    fn verb(&mut self, verb: char, mut spec: Spec) {
        if verb == '%' {
            self.out.push('%');
        } else if !self.is_good_arg {
            let _ = write!(self.out, "%!{verb}(BADINDEX)");
        } else if self.arg_num >= self.args.len() {
            let _ = write!(self.out, "%!{verb}(MISSING)");
        } else {
            if verb == 'v' {
                spec.sharp_v = spec.sharp;
                spec.sharp = false;
                spec.plus = false;
            }
            format_arg(&mut self.out, &self.args[self.arg_num], verb, spec);
            self.arg_num += 1;
        }
    }

    /// `%!(EXTRA type=value, ...)` for the arguments no verb used, unless indexes reordered them.
    fn extra(&mut self) {
        if self.is_reordered || self.arg_num >= self.args.len() {
            return;
        }
        self.out.push_str("%!(EXTRA ");
        for (n, arg) in self.args[self.arg_num..].iter().enumerate() {
            if n > 0 {
                self.out.push_str(", ");
            }
            if *arg == Piped::Json(Value::Null) {
                self.out.push_str("<nil>");
            } else {
                let _ = write!(self.out, "{}=", arg.go_type());
                format_arg(&mut self.out, arg, 'v', Spec::default());
            }
        }
        self.out.push(')');
    }
}

/// `fmt.Sprintf("%v", value)`.
pub fn sprint_v(value: &Value) -> String {
    let mut out = String::new();
    format_value(&mut out, value, 'v', Spec::default(), false);
    out
}

/// `fmt.Sprintf("%v", value)` of a value between transforms.
pub fn sprint_piped(value: &Piped) -> String {
    match value {
        Piped::Json(value) => sprint_v(value),
        Piped::NonFinite(f) => go_float_name(*f).to_owned(),
    }
}

/// `%v` of an element of an array or object (its numbers are `float64`).
pub fn sprint_element(value: &Value) -> String {
    let mut out = String::new();
    format_value(&mut out, value, 'v', Spec::default(), true);
    out
}

/// Decimal digits at `i`: the number (capped like Go's at 10^6) and where they end.
fn parse_number(bytes: &[u8], mut i: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        if n >= 1_000_000 {
            return (None, bytes.len());
        }
        n = n * 10 + usize::from(bytes[i] - b'0');
        i += 1;
    }
    ((i > start).then_some(n), i)
}

/// An `int64` argument for `*`.
fn int_arg(args: &[Piped], arg_num: usize) -> Option<i64> {
    match args.get(arg_num)? {
        Piped::Json(Value::Number(n)) if is_int64(n) => n.as_i64(),
        _ => None,
    }
}

/// One argument under one verb.
fn format_arg(out: &mut String, arg: &Piped, verb: char, spec: Spec) {
    match arg {
        Piped::Json(value) => format_value(out, value, verb, spec, false),
        Piped::NonFinite(f) => format_non_finite(out, *f, verb, spec),
    }
}

/// NaN or an infinity under one verb, as Go's `fmtFloat` writes them: a sign always for an
/// infinity but for NaN only with `+` or space, and never zero padding.
fn format_non_finite(out: &mut String, f: f64, verb: char, spec: Spec) {
    match verb {
        'T' => pad(out, "float64", spec, false),
        'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'e' | 'E' | 'f' | 'F' => {
            let mut text = if f.is_nan() {
                "+NaN".to_owned()
            } else {
                go_float_name(f).to_owned()
            };
            if spec.space && !spec.plus && text.starts_with('+') {
                text.replace_range(..1, " ");
            }
            if f.is_nan() && !spec.space && !spec.plus {
                text.remove(0);
            }
            pad(out, &text, spec.with_zero(false), false);
        }
        _ => {
            let _ = write!(out, "%!{verb}(float64=");
            format_non_finite(out, f, 'v', spec);
            out.push(')');
        }
    }
}

/// One value under one verb; `nested` values are elements of an array or object.
fn format_value(out: &mut String, value: &Value, verb: char, spec: Spec, nested: bool) {
    if verb == 'T' {
        pad(out, go_type(value), spec, false);
        return;
    }
    match value {
        Value::Null => match verb {
            // Go writes a nil element without padding, whatever the verb.
            _ if nested => out.push_str(if spec.sharp_v {
                "interface {}(nil)"
            } else {
                "<nil>"
            }),
            'v' => pad(out, "<nil>", spec, false),
            _ => {
                let _ = write!(out, "%!{verb}(<nil>)");
            }
        },
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, spec, false),
            _ => bad_verb(out, value, verb, spec, nested),
        },
        Value::Number(n) if is_int64(n) => {
            format_int(out, n.as_i64().unwrap_or(0), verb, spec, value);
        }
        Value::Number(n) => {
            format_float_verb(out, n.as_f64().unwrap_or(0.0), verb, spec, value, nested)
        }
        Value::String(s) => format_string(out, s, verb, spec, value, nested),
        Value::Array(items) => {
            if spec.sharp_v {
                out.push_str("[]interface {}{");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    format_value(out, item, verb, spec, true);
                }
                out.push('}');
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_value(out, item, verb, spec, true);
            }
            out.push(']');
        }
        Value::Object(map) => format_map(out, map, verb, spec),
    }
}

fn format_map(out: &mut String, map: &Map<String, Value>, verb: char, spec: Spec) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let is_go_syntax = spec.sharp_v;
    out.push_str(if is_go_syntax {
        "map[string]interface {}{"
    } else {
        "map["
    });
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push_str(if is_go_syntax { ", " } else { " " });
        }
        format_string(out, key, verb, spec, &Value::String(key.clone()), true);
        out.push(':');
        format_value(out, &map[key], verb, spec, true);
    }
    out.push(if is_go_syntax { '}' } else { ']' });
}

/// `%!verb(type=value)`: the value is printed as `v` with the verb's flags, width and
/// precision (`%6.2e` of a string shows its first two characters padded to six).
fn bad_verb(out: &mut String, value: &Value, verb: char, spec: Spec, nested: bool) {
    let _ = write!(out, "%!{verb}({}=", go_type(value));
    format_value(out, value, 'v', spec, nested);
    out.push(')');
}

/// Pads `text` to the width. The `0` flag pads with zeros on the left, after the sign when
/// `is_number`; Go (1.23 and later) zero-pads strings, booleans and type names too.
fn pad(out: &mut String, text: &str, spec: Spec, is_number: bool) {
    let len = text.chars().count();
    let Some(width) = spec.width.filter(|w| *w > len) else {
        out.push_str(text);
        return;
    };
    let fill = width - len;
    if spec.minus {
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && is_number {
        let (sign, digits) = match text.as_bytes().first() {
            Some(b'+' | b'-' | b' ') => text.split_at(1),
            _ => ("", text),
        };
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(digits);
    } else {
        let fill_char = if spec.zero { '0' } else { ' ' };
        out.extend(std::iter::repeat_n(fill_char, fill));
        out.push_str(text);
    }
}

fn format_string(out: &mut String, s: &str, verb: char, spec: Spec, value: &Value, nested: bool) {
    let truncated: String;
    let s = match spec.precision {
        Some(p) if matches!(verb, 'v' | 's' | 'q' | 'x' | 'X') => {
            truncated = s.chars().take(p).collect();
            truncated.as_str()
        }
        _ => s,
    };
    match verb {
        'v' if spec.sharp_v => pad(out, &quote(s), spec, false),
        'v' | 's' => pad(out, s, spec, false),
        'q' => {
            if spec.sharp && !s.contains('`') && s.chars().all(|c| c == '\t' || !c.is_control()) {
                pad(out, &format!("`{s}`"), spec, false);
            } else {
                pad(out, &quote_string(s, spec.plus), spec, false);
            }
        }
        'x' | 'X' => {
            let mut hex = String::new();
            for (i, byte) in s.bytes().enumerate() {
                if spec.space && i > 0 {
                    hex.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    hex.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    let _ = write!(hex, "{byte:02x}");
                } else {
                    let _ = write!(hex, "{byte:02X}");
                }
            }
            pad(out, &hex, spec, false);
        }
        _ => bad_verb(out, value, verb, spec, nested),
    }
}

fn format_int(out: &mut String, i: i64, verb: char, spec: Spec, value: &Value) {
    let negative = i < 0;
    let magnitude = i.unsigned_abs();
    let (digits, prefix) = match verb {
        'v' | 'd' => (magnitude.to_string(), ""),
        'b' => (format!("{magnitude:b}"), if spec.sharp { "0b" } else { "" }),
        'o' => (format!("{magnitude:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{magnitude:o}"), "0o"),
        'x' => (format!("{magnitude:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{magnitude:X}"), if spec.sharp { "0X" } else { "" }),
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &c.to_string(), spec, false);
            return;
        }
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &quote_rune(c, spec.plus), spec, false);
            return;
        }
        'U' => {
            let mut text = format!("U+{magnitude:04X}");
            if spec.sharp
                && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
            {
                let _ = write!(text, " '{c}'");
            }
            // Go never pads %U with zeros.
            pad(out, &text, spec.with_zero(false), false);
            return;
        }
        _ => return bad_verb(out, value, verb, spec, false),
    };
    let digits = match spec.precision {
        Some(0) if magnitude == 0 => String::new(),
        Some(p) if p > digits.len() => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits,
    };
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let text = format!("{sign}{prefix}{digits}");
    // Go ignores the zero flag when a precision is given.
    let spec = spec.with_zero(spec.zero && spec.precision.is_none() && !spec.minus);
    pad(out, &text, spec, true);
}

fn format_float_verb(
    out: &mut String,
    f: f64,
    verb: char,
    spec: Spec,
    value: &Value,
    nested: bool,
) {
    let text = match verb {
        'v' => format_float(f, 'g', spec.precision),
        'g' | 'G' | 'e' | 'E' | 'f' | 'F' => {
            let precision = match verb {
                'e' | 'E' | 'f' | 'F' => Some(spec.precision.unwrap_or(6)),
                _ => spec.precision,
            };
            format_float(f, verb, precision)
        }
        'x' | 'X' => format_hex_float(f, verb == 'X', spec.precision),
        'b' => format_binary_float(f),
        _ => return bad_verb(out, value, verb, spec, nested),
    };
    let text = if spec.sharp && verb != 'b' {
        keep_point_and_zeros(&text, verb, spec.precision)
    } else {
        text
    };
    let text = if text.starts_with('-') {
        text
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    };
    pad(out, &text, spec.with_zero(spec.zero && !spec.minus), true);
}

/// Go's `#` flag on a float: always a point, and for `%g`, `%v` and `%x` trailing zeros up to
/// the precision's count of significant digits (6 by default). Go counts the `x` of a
/// hexadecimal float's `0x` as a significant digit, so `%#x` of 3 is `0x1.8000p+01`.
fn keep_point_and_zeros(text: &str, verb: char, precision: Option<usize>) -> String {
    let (sign, body) = match text.strip_prefix('-') {
        Some(body) => ("-", body),
        None => ("", text),
    };
    let exponent_mark: &[char] = if matches!(verb, 'x' | 'X') {
        &['p', 'P']
    } else {
        &['e', 'E']
    };
    let (mantissa, exponent) = body.split_at(body.find(exponent_mark).unwrap_or(body.len()));
    let mut wanted = match verb {
        'v' | 'g' | 'G' | 'x' | 'X' => i64::try_from(precision.unwrap_or(6)).unwrap_or(i64::MAX),
        _ => 0,
    };
    let mut has_nonzero = false;
    for c in mantissa.chars().filter(|&c| c != '.') {
        has_nonzero |= c != '0';
        if has_nonzero {
            wanted -= 1;
        }
    }
    let mut out = format!("{sign}{mantissa}");
    if !mantissa.contains('.') {
        if mantissa == "0" {
            wanted -= 1;
        }
        out.push('.');
    }
    for _ in 0..wanted.max(0) {
        out.push('0');
    }
    out.push_str(exponent);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `fmt.Sprintf` of JSON arguments.
    fn sprintf(format: &str, args: &[Value]) -> String {
        super::sprintf(
            format,
            &args.iter().cloned().map(Piped::Json).collect::<Vec<_>>(),
        )
    }
    use crate::value::{float64, int64};

    fn f(x: f64) -> Value {
        float64(x).unwrap()
    }

    #[test]
    fn formats_strings() {
        let s = json!("cross");
        assert_eq!(
            sprintf(
                "%s-%v-%q-%x-%X-%5s|%-6s|%.2s",
                &[
                    s.clone(),
                    s.clone(),
                    s.clone(),
                    s.clone(),
                    s.clone(),
                    s.clone(),
                    s.clone(),
                    s
                ]
            ),
            "cross-cross-\"cross\"-63726f7373-63726F7373-cross|cross |cr"
        );
        assert_eq!(
            sprintf("%q", &[json!("a\"b\n\u{e9}")]),
            "\"a\\\"b\\n\u{e9}\""
        );
        assert_eq!(sprintf("%+q", &[json!("\u{e9}")]), "\"\\u00e9\"");
    }

    #[test]
    fn formats_floats_like_go() {
        for (format, value, expected) in [
            ("%v", 5.0, "5"),
            ("%v", 2.5, "2.5"),
            ("%v", 1e6, "1e+06"),
            ("%v", 123456.0, "123456"),
            ("%v", 1234567.0, "1.234567e+06"),
            ("%v", 0.0001, "0.0001"),
            ("%v", 0.00001, "1e-05"),
            ("%f", 1.23456, "1.234560"),
            ("%.2f", 1.23456, "1.23"),
            ("%8.3f", -1.23456, "  -1.235"),
            ("%08.3f", -1.23456, "-001.235"),
            ("%e", 1234.5678, "1.234568e+03"),
            ("%E", 0.000123, "1.230000E-04"),
            ("%g", 1234.5678, "1234.5678"),
            ("%.3g", 1234.5678, "1.23e+03"),
            ("%.3g", 0.5, "0.5"),
            ("%+.1f", 2.0, "+2.0"),
            ("%v", 0.0, "0"),
            ("%e", 0.0, "0.000000e+00"),
            ("%x", 5.0, "0x1.4p+02"),
            ("%X", -0.5, "-0X1P-01"),
            ("%x", 1.0, "0x1p+00"),
            ("%x", 0.0, "0x0p+00"),
            ("%.1x", 1.0 / 3.0, "0x1.5p-02"),
            ("%.0x", 1.5, "0x1p+01"),
            ("%x", 1e300, "0x1.7e43c8800759cp+996"),
        ] {
            assert_eq!(sprintf(format, &[f(value)]), expected, "{format} {value}");
        }
    }

    #[test]
    fn formats_ints_like_go() {
        for (format, value, expected) in [
            ("%d", 42, "42"),
            ("%5d", 42, "   42"),
            ("%-5d|", 42, "42   |"),
            ("%05d", -42, "-0042"),
            ("%+d", 42, "+42"),
            ("%x", 255, "ff"),
            ("%#x", 255, "0xff"),
            ("%X", 255, "FF"),
            ("%o", 8, "10"),
            ("%O", 8, "0o10"),
            ("%b", 5, "101"),
            ("%c", 65, "A"),
            ("%q", 65, "'A'"),
            ("%U", 65, "U+0041"),
            ("%.3d", 7, "007"),
            ("%v", -3, "-3"),
        ] {
            assert_eq!(
                sprintf(format, &[int64(value)]),
                expected,
                "{format} {value}"
            );
        }
    }

    #[test]
    fn reports_bad_verbs_missing_and_extra_arguments() {
        assert_eq!(sprintf("%d", &[f(5.0)]), "%!d(float64=5)");
        assert_eq!(sprintf("%s", &[f(5.0)]), "%!s(float64=5)");
        assert_eq!(sprintf("%d", &[json!("a")]), "%!d(string=a)");
        assert_eq!(sprintf("%f", &[int64(5)]), "%!f(int64=5)");
        assert_eq!(sprintf("%t", &[json!("a")]), "%!t(string=a)");
        assert_eq!(sprintf("%s", &[Value::Null]), "%!s(<nil>)");
        assert_eq!(sprintf("%v", &[Value::Null]), "<nil>");
        assert_eq!(sprintf("%s-%s", &[json!("a")]), "a-%!s(MISSING)");
        assert_eq!(
            sprintf("hello", &[json!("a"), f(1.5)]),
            "hello%!(EXTRA string=a, float64=1.5)"
        );
        assert_eq!(sprintf("%", &[json!("a")]), "%!(NOVERB)%!(EXTRA string=a)");
        assert_eq!(sprintf("100%%", &[]), "100%");
        assert_eq!(sprintf("%[2]s-%[1]s", &[json!("a"), json!("b")]), "b-a");
        assert_eq!(sprintf("%[3]s", &[json!("a")]), "%!s(BADINDEX)");
        assert_eq!(sprintf("%t", &[json!(true)]), "true");
    }

    #[test]
    fn flags_apply_as_go_applies_them() {
        // Checked against Go 1.26's fmt.
        assert_eq!(sprintf("%6.2e", &[json!("abcdef")]), "%!e(string=    ab)");
        assert_eq!(sprintf("%08s", &[json!("ab")]), "000000ab");
        assert_eq!(sprintf("%-08v|", &[json!("ab")]), "ab      |");
        assert_eq!(sprintf("%05t", &[json!(true)]), "0true");
        assert_eq!(sprintf("%+v", &[json!(5.0)]), "5");
        assert_eq!(sprintf("%+s", &[json!(5)]), "%!s(int64=+5)");
        assert_eq!(sprintf("%8v", &[json!([null, "a"])]), "[<nil>        a]");
        assert_eq!(
            sprintf("%#v", &[json!([null])]),
            "[]interface {}{interface {}(nil)}"
        );
        assert_eq!(sprintf("%#s", &[json!(1.5)]), "%!s(float64=1.50000)");
        assert_eq!(sprintf("%#g", &[json!(1.5)]), "1.50000");
        assert_eq!(sprintf("%#.0f", &[json!(3.0)]), "3.");
        assert_eq!(sprintf("%#.3e", &[json!(0.0)]), "0.000e+00");
        assert_eq!(sprintf("%#g", &[json!(0.0)]), "0.00000");
        assert_eq!(sprintf("%#g", &[json!(1e21)]), "1.00000e+21");
        assert_eq!(sprintf("%#.2g", &[json!(123_456.0)]), "1.2e+05");
        assert_eq!(sprintf("%08U", &[json!(65)]), "  U+0041");
    }

    #[test]
    fn quotes_what_go_cannot_print() {
        // Checked against Go 1.26: unassigned, format and separator characters are escaped.
        assert_eq!(sprintf("%q", &[json!(0x15861)]), "'\\U00015861'");
        assert_eq!(
            sprintf("%q", &[json!("a\u{200b}b\u{a0}c\u{2028}é")]),
            "\"a\\u200bb\\u00a0c\\u2028é\""
        );
    }

    #[test]
    fn formats_nan_and_infinities_as_go_does() {
        // Checked against Go 1.26's fmt.
        let cases = [
            ("%v", ["NaN", "+Inf", "-Inf"]),
            ("%+v", ["NaN", "+Inf", "-Inf"]),
            ("% f", [" NaN", " Inf", "-Inf"]),
            ("%+f", ["+NaN", "+Inf", "-Inf"]),
            ("%08f", ["     NaN", "    +Inf", "    -Inf"]),
            ("%-6v|", ["NaN   |", "+Inf  |", "-Inf  |"]),
            (
                "%+d",
                [
                    "%!d(float64=+NaN)",
                    "%!d(float64=+Inf)",
                    "%!d(float64=-Inf)",
                ],
            ),
            (
                "%5s",
                [
                    "%!s(float64=  NaN)",
                    "%!s(float64= +Inf)",
                    "%!s(float64= -Inf)",
                ],
            ),
            ("%T", ["float64", "float64", "float64"]),
        ];
        for (format, expected) in cases {
            for (f, text) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY]
                .into_iter()
                .zip(expected)
            {
                assert_eq!(
                    super::sprintf(format, &[Piped::NonFinite(f)]),
                    text,
                    "{format}"
                );
            }
        }
        assert_eq!(
            super::sprintf("hi", &[Piped::NonFinite(f64::NAN)]),
            "hi%!(EXTRA float64=NaN)"
        );
        assert_eq!(sprintf("%#x", &[json!(3.0)]), "0x1.8000p+01");
        assert_eq!(
            sprintf("%v %.2f %e", &[json!(-0.0), json!(-0.0), json!(-0.0)]),
            "-0 -0.00 -0.000000e+00"
        );
        assert_eq!(sprintf("%b", &[json!(1.5)]), "6755399441055744p-52");
        assert_eq!(sprintf("%+b", &[json!(0.0)]), "+0p-1074");
        assert_eq!(sprintf("%b", &[json!(-2.0)]), "-4503599627370496p-51");
        assert_eq!(sprintf("%b", &[json!(5e-324)]), "1p-1074");
        assert_eq!(sprintf("%b", &[json!(1e300)]), "6724873095247260p+944");
        assert_eq!(sprintf("%#.2X", &[json!(0.5)]), "0X1.00P-01");
    }

    #[test]
    fn formats_maps_and_slices_recursively() {
        let value = json!({"b": [1, "x", null], "a": {"c": true}});
        assert_eq!(sprint_v(&value), "map[a:map[c:true] b:[1 x <nil>]]");
        assert_eq!(sprintf("%s", &[json!(["a", 1.0])]), "[a %!s(float64=1)]");
        assert_eq!(sprintf("%s", &[json!(["a", 1])]), "[a %!s(int64=1)]");
        assert_eq!(
            sprintf("%d", &[json!({"a": 1.0})]),
            "map[%!d(string=a):%!d(float64=1)]"
        );
        assert_eq!(
            sprintf("%#v", &[json!({"a": [1, "x"]})]),
            "map[string]interface {}{\"a\":[]interface {}{1, \"x\"}}"
        );
        assert_eq!(
            sprintf("%T %T %T", &[json!("a"), int64(1), json!([])]),
            "string int64 []interface {}"
        );
    }
}

//! A YAML writer that prints JSON values exactly as `crossplane render` does.
//!
//! Crossplane encodes objects with `sigs.k8s.io/yaml`: JSON, re-read and written by go-yaml v2.
//! That fixes the layout byte for byte: keys sorted (go-yaml's order: digit runs compare as
//! numbers, non-letters before letters), two-space indentation with sequences not indented under
//! their key, strings that would read back as another type ("True", "1", "2024-01-01T00:00:00Z")
//! in double quotes, strings that cannot be plain (": ", leading "- ") in single quotes,
//! multi-line strings as `|` blocks, and long strings folded at 80 columns.
//!
//! It is written here because no Rust YAML library reproduces go-yaml v2's layout (serde_yaml_ng,
//! which reads every YAML input, quotes, orders and folds differently), and render's output must
//! equal upstream's byte for byte (`tests/e2e/render_upstream.rs`).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// go-yaml's preferred line width; a space past this column becomes a line break.
const BEST_WIDTH: usize = 80;
/// go-yaml's indentation step.
const INDENT: usize = 2;

/// `value` as one YAML document (no `---`), ending in a newline.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut writer = Writer::default();
    match value {
        Value::Object(map) if !map.is_empty() => writer.mapping(map, 0, false),
        Value::Array(items) if !items.is_empty() => writer.sequence(items, 0, false),
        other => {
            writer.inline(other, 0);
        }
    }
    writer.end_line();
    writer.out
}

#[derive(Default)]
struct Writer {
    out: String,
    column: usize,
}

impl Writer {
    fn put(&mut self, text: &str) {
        for ch in text.chars() {
            self.put_char(ch);
        }
    }

    fn put_char(&mut self, ch: char) {
        self.out.push(ch);
        if ch == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn end_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.put_char('\n');
        }
    }

    /// A line break, then spaces up to `indent`.
    fn indent(&mut self, indent: usize) {
        self.end_line();
        for _ in 0..indent {
            self.put_char(' ');
        }
    }

    /// A block mapping whose keys sit at `indent`; the first key goes on the current line when
    /// `inline_first` (after "- ").
    fn mapping(&mut self, map: &Map<String, Value>, indent: usize, inline_first: bool) {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by(|(a, _), (b, _)| key_order(a, b));
        for (position, (key, value)) in entries.into_iter().enumerate() {
            if position > 0 || !inline_first {
                self.indent(indent);
            }
            self.scalar(key, indent, true);
            self.put_char(':');
            match value {
                Value::Object(map) if !map.is_empty() => self.mapping(map, indent + INDENT, false),
                // Sequences under a key are not indented.
                Value::Array(items) if !items.is_empty() => self.sequence(items, indent, false),
                other => {
                    self.put_char(' ');
                    self.inline(other, indent);
                }
            }
        }
    }

    /// A block sequence whose dashes sit at `indent`.
    fn sequence(&mut self, items: &[Value], indent: usize, inline_first: bool) {
        for (position, item) in items.iter().enumerate() {
            if position > 0 || !inline_first {
                self.indent(indent);
            }
            self.put("- ");
            match item {
                Value::Object(map) if !map.is_empty() => {
                    self.mapping(map, indent + INDENT, true);
                }
                Value::Array(items) if !items.is_empty() => {
                    self.sequence(items, indent + INDENT, true);
                }
                other => self.inline(other, indent),
            }
        }
    }

    /// A scalar or empty collection on the current line; `indent` is its parent's.
    fn inline(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Null => self.put("null"),
            Value::Bool(true) => self.put("true"),
            Value::Bool(false) => self.put("false"),
            Value::Number(number) => self.put(&format_number(number)),
            Value::String(text) => self.scalar(text, indent, false),
            Value::Array(_) => self.put("[]"),
            Value::Object(_) => self.put("{}"),
        }
    }

    /// A string in the style go-yaml picks. Keys (`is_key`) never fold or use blocks.
    fn scalar(&mut self, text: &str, indent: usize, is_key: bool) {
        let analysis = Analysis::of(text);
        let content_indent = indent + INDENT;
        let style = if text.contains('\n') {
            if analysis.is_block_allowed && !is_key {
                Style::Literal
            } else {
                Style::Double
            }
        } else if !is_plain_string(text) {
            Style::Double
        } else if analysis.is_plain_allowed {
            Style::Plain
        } else if analysis.is_single_allowed {
            Style::Single
        } else {
            Style::Double
        };
        let can_fold = !is_key;
        match style {
            Style::Plain => self.plain(text, content_indent, can_fold),
            Style::Single => self.single_quoted(text, content_indent, can_fold),
            Style::Double => self.double_quoted(text, content_indent, can_fold),
            Style::Literal => self.literal(text, content_indent),
        }
    }

    /// Whether the space at `chars[i]` may become a line break: folding is allowed, the line
    /// is past the best width, the space follows no other, and it is neither first nor last
    /// (a plain scalar has no space there; a quoted one keeps them).
    fn folds_space(&self, chars: &[char], i: usize, can_fold: bool, after_space: bool) -> bool {
        can_fold && !after_space && self.column > BEST_WIDTH && i != 0 && i != chars.len() - 1
    }

    fn plain(&mut self, text: &str, indent: usize, can_fold: bool) {
        self.folded(text, indent, can_fold, false);
    }

    fn single_quoted(&mut self, text: &str, indent: usize, can_fold: bool) {
        self.put_char('\'');
        self.folded(text, indent, can_fold, true);
        self.put_char('\'');
    }

    /// Writes `text` with its spaces folded where [`Self::folds_space`] allows, but never one
    /// of two spaces in a row; inside single quotes (`quoted`) a `'` is written twice.
    fn folded(&mut self, text: &str, indent: usize, can_fold: bool, quoted: bool) {
        let chars: Vec<char> = text.chars().collect();
        let mut after_space = false;
        for (i, &ch) in chars.iter().enumerate() {
            if ch == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                if self.folds_space(&chars, i, can_fold, after_space) && !next_is_space {
                    self.indent(indent);
                } else {
                    self.put_char(' ');
                }
                after_space = true;
            } else {
                if quoted && ch == '\'' {
                    self.put_char('\'');
                }
                self.put_char(ch);
                after_space = false;
            }
        }
    }

    fn double_quoted(&mut self, text: &str, indent: usize, can_fold: bool) {
        let chars: Vec<char> = text.chars().collect();
        self.put_char('"');
        let mut after_space = false;
        for (i, &ch) in chars.iter().enumerate() {
            if !is_printable(ch) || is_break(ch) || ch == '"' || ch == '\\' {
                self.put_char('\\');
                let escape = match ch {
                    '\0' => "0".to_owned(),
                    '\u{7}' => "a".to_owned(),
                    '\u{8}' => "b".to_owned(),
                    '\t' => "t".to_owned(),
                    '\n' => "n".to_owned(),
                    '\u{b}' => "v".to_owned(),
                    '\u{c}' => "f".to_owned(),
                    '\r' => "r".to_owned(),
                    '\u{1b}' => "e".to_owned(),
                    '"' => "\"".to_owned(),
                    '\\' => "\\".to_owned(),
                    '\u{85}' => "N".to_owned(),
                    '\u{a0}' => "_".to_owned(),
                    '\u{2028}' => "L".to_owned(),
                    '\u{2029}' => "P".to_owned(),
                    c if u32::from(c) <= 0xFF => format!("x{:02X}", u32::from(c)),
                    c if u32::from(c) <= 0xFFFF => format!("u{:04X}", u32::from(c)),
                    c => format!("U{:08X}", u32::from(c)),
                };
                self.put(&escape);
                after_space = false;
            } else if ch == ' ' {
                if self.folds_space(&chars, i, can_fold, after_space) {
                    self.indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put_char('\\');
                    }
                } else {
                    self.put_char(' ');
                }
                after_space = true;
            } else {
                self.put_char(ch);
                after_space = false;
            }
        }
        self.put_char('"');
    }

    fn literal(&mut self, text: &str, indent: usize) {
        self.put_char('|');
        if text.starts_with([' ', '\n']) {
            self.put(&INDENT.to_string());
        }
        let mut reversed = text.chars().rev();
        match (reversed.next(), reversed.next()) {
            (Some(last), _) if !is_break(last) => self.put_char('-'),
            (Some(_), None) => self.put_char('+'),
            (Some(_), Some(before)) if is_break(before) => self.put_char('+'),
            _ => {}
        }
        self.put_char('\n');
        let mut at_line_start = true;
        for ch in text.chars() {
            if is_break(ch) {
                self.put_char('\n');
                at_line_start = true;
            } else {
                if at_line_start {
                    for _ in 0..indent {
                        self.put_char(' ');
                    }
                    at_line_start = false;
                }
                self.put_char(ch);
            }
        }
    }
}

enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// What libyaml's scalar analysis allows for a string in block context.
struct Analysis {
    is_plain_allowed: bool,
    is_single_allowed: bool,
    is_block_allowed: bool,
}

impl Analysis {
    fn of(text: &str) -> Analysis {
        if text.is_empty() {
            return Analysis {
                is_plain_allowed: false,
                is_single_allowed: true,
                is_block_allowed: false,
            };
        }
        let chars: Vec<char> = text.chars().collect();
        let mut block_indicators = text.starts_with("---") || text.starts_with("...");
        let mut special = false;
        let mut line_breaks = false;
        let (mut leading_space, mut leading_break) = (false, false);
        let (mut trailing_space, mut trailing_break) = (false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        for (i, &ch) in chars.iter().enumerate() {
            let next = chars.get(i + 1).copied();
            let followed_by_whitespace = next.is_none_or(|c| c == ' ' || c == '\t');
            let (first, last) = (i == 0, i == chars.len() - 1);
            block_indicators |=
                is_indicator(ch, first, preceded_by_whitespace, followed_by_whitespace);
            if !is_printable(ch) {
                special = true;
            }
            if is_break(ch) {
                line_breaks = true;
            }
            if ch == ' ' {
                leading_space |= first;
                trailing_space |= last;
                break_space |= previous_break;
                (previous_space, previous_break) = (true, false);
            } else if is_break(ch) {
                leading_break |= first;
                trailing_break |= last;
                space_break |= previous_space;
                (previous_space, previous_break) = (false, true);
            } else {
                (previous_space, previous_break) = (false, false);
            }
            preceded_by_whitespace = ch == ' ' || ch == '\t' || is_break(ch);
        }
        let mut analysis = Analysis {
            is_plain_allowed: true,
            is_single_allowed: true,
            is_block_allowed: true,
        };
        if leading_space || leading_break || trailing_space || trailing_break {
            analysis.is_plain_allowed = false;
        }
        if trailing_space {
            analysis.is_block_allowed = false;
        }
        if break_space {
            analysis.is_plain_allowed = false;
            analysis.is_single_allowed = false;
        }
        if space_break || special {
            analysis = Analysis {
                is_plain_allowed: false,
                is_single_allowed: false,
                is_block_allowed: false,
            };
        }
        if line_breaks || block_indicators {
            analysis.is_plain_allowed = false;
        }
        analysis
    }
}

/// Whether `ch` is a block indicator where it stands: at the `first` character, a flow or block
/// indicator; elsewhere `: ` or ` #`.
fn is_indicator(
    ch: char,
    first: bool,
    preceded_by_whitespace: bool,
    followed_by_whitespace: bool,
) -> bool {
    if first {
        match ch {
            '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
            | '@' | '`' => true,
            '?' | ':' | '-' => followed_by_whitespace,
            _ => false,
        }
    } else {
        match ch {
            ':' => followed_by_whitespace,
            '#' => preceded_by_whitespace,
            _ => false,
        }
    }
}

/// libyaml's printable set as go-yaml v2 implements it (no NEL, nothing above U+FFFF).
fn is_printable(ch: char) -> bool {
    matches!(u32::from(ch), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD)
        && ch != '\u{FEFF}'
}

fn is_break(ch: char) -> bool {
    matches!(ch, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether go-yaml would read `text`, unquoted, back as a string (not a bool, null, number,
/// timestamp or base-60 float).
fn is_plain_string(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    if RESERVED.contains(&text) {
        return false;
    }
    match text.as_bytes()[0] {
        b'.' => text.parse::<f64>().is_err(),
        b'0'..=b'9' | b'+' | b'-' => {
            let plain = text.replace('_', "");
            !(is_timestamp(text) || is_int(&plain) || is_float(&plain) || is_base60_float(text))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`/`ParseUint` syntax (range aside).
fn is_int(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (radix, rest) = match digits.get(..2) {
        Some("0x" | "0X") => (16, &digits[2..]),
        Some("0o" | "0O") => (8, &digits[2..]),
        Some("0b" | "0B") => (2, &digits[2..]),
        _ if digits.len() > 1 && digits.starts_with('0') => (8, &digits[1..]),
        _ => (10, digits),
    };
    !rest.is_empty() && rest.chars().all(|c| c.is_digit(radix))
}

/// go-yaml's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(text: &str) -> bool {
    let rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => is_digits(fraction),
        Some((whole, fraction)) => is_digits(whole) && fraction.bytes().all(|b| b.is_ascii_digit()),
        None => is_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| is_digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// `YYYY-M-D`, optionally followed by `T`, `t` or a space and a time: what go-yaml reads as a
/// timestamp.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return false;
    }
    let rest = &text[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let mut parts = date.split('-');
    let is_short_number = |part: Option<&str>| {
        part.is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let date_ok =
        is_short_number(parts.next()) && is_short_number(parts.next()) && parts.next().is_none();
    date_ok
        && time.is_none_or(|time| {
            let clock = time.split(['Z', '+', '-']).next().unwrap_or("");
            let mut fields = clock.split(':');
            is_short_number(fields.next())
                && is_short_number(fields.next())
                && fields
                    .next()
                    .is_some_and(|s| is_short_number(s.split('.').next()))
        })
}

/// go-yaml v2's base-60 float, e.g. `1:20` or `190:20:30.15`.
fn is_base60_float(text: &str) -> bool {
    let rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    let Some((head, tail)) = rest.split_once(':') else {
        return false;
    };
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let (sexagesimal, fraction) = match tail.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (tail, None),
    };
    let groups_ok = sexagesimal.split(':').all(|group| {
        matches!(group.len(), 1 | 2)
            && group.bytes().all(|b| b.is_ascii_digit())
            && (group.len() == 1 || group.as_bytes()[0] <= b'5')
    });
    let fraction_ok = fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    head_ok && groups_ok && fraction_ok
}

/// A JSON number as go-yaml prints it after a JSON round trip: whole numbers as integers,
/// others in Go's shortest `%g` form (`0.5`, `1.5e+06`, `1e-05`).
fn format_number(number: &Number) -> String {
    if let Some(int) = number.as_i64() {
        return int.to_string();
    }
    if let Some(uint) = number.as_u64() {
        return uint.to_string();
    }
    let float = number.as_f64().unwrap_or(0.0);
    // Integral values within i64 range are exact in i64, and Go's JSON writes them as integers.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked: integral and within i64 range"
    )]
    if float.fract() == 0.0 && float.abs() < 9.0e18 {
        return (float as i64).to_string();
    }
    let scientific = format!("{float:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("{:e} always writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes an integer exponent");
    // Go's shortest %g switches to an exponent below 1e-4 and from 1e6 on.
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    float.to_string()
}

/// go-yaml v2's key order: runs of digits compare as numbers, and a non-letter sorts before a
/// letter.
fn key_order(a: &str, b: &str) -> Ordering {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (a_letter, b_letter) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if a_letter && b_letter {
            return a[i].cmp(&b[i]);
        }
        if a_letter || b_letter {
            return if b_letter {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let number = |s: &[char]| {
            let digits: String = s[i..].iter().take_while(|c| c.is_ascii_digit()).collect();
            (digits.len(), digits.trim_start_matches('0').to_owned())
        };
        let (a_len, a_digits) = number(&a);
        let (b_len, b_digits) = number(&b);
        let by_value = a_digits
            .len()
            .cmp(&b_digits.len())
            .then_with(|| a_digits.cmp(&b_digits));
        if by_value != Ordering::Equal {
            return by_value;
        }
        if a_len != b_len {
            return a_len.cmp(&b_len);
        }
        return a[i].cmp(&b[i]);
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn writes_objects_like_go_yaml() {
        let value = json!({
            "status": {"conditions": [{
                "type": "Ready", "status": "False", "reason": "Creating",
                "lastTransitionTime": "2024-01-01T00:00:00Z",
                "message": "Unready resources: a, b",
            }]},
            "metadata": {"name": "x", "labels": {}, "ownerReferences": [{"uid": ""}]},
            "apiVersion": "v1",
            "data": {"n": 3.0, "half": 0.5, "big": 1_500_000.5, "yes": "yes", "null": null,
                     "list": [[1, 2], []], "dash": "- x", "multi": "a\nb\n", "ver": "1.20"},
        });
        let expected = r#"apiVersion: v1
data:
  big: 1.5000005e+06
  dash: '- x'
  half: 0.5
  list:
  - - 1
    - 2
  - []
  multi: |
    a
    b
  "n": 3
  "null": null
  ver: "1.20"
  "yes": "yes"
metadata:
  labels: {}
  name: x
  ownerReferences:
  - uid: ""
status:
  conditions:
  - lastTransitionTime: "2024-01-01T00:00:00Z"
    message: 'Unready resources: a, b'
    reason: Creating
    status: "False"
    type: Ready
"#;
        assert_eq!(to_yaml(&value), expected);
    }

    #[test]
    fn folds_long_strings_at_eighty_columns() {
        let long = "word ".repeat(20).trim_end().to_owned();
        let yaml = to_yaml(&json!({"message": long}));
        assert_eq!(
            yaml,
            "message: word word word word word word word word word word word word word word word\n  word word word word word\n"
        );
    }

    #[test]
    fn key_order_compares_digit_runs_as_numbers() {
        let mut keys = vec!["a10", "a2", "b", "A", "_x", "a"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(keys, vec!["_x", "A", "a", "a2", "a10", "b"]);
    }
}

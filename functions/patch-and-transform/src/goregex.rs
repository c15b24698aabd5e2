//! Go's `regexp` (RE2 syntax) for the `match` and `string` transforms: which patterns compile,
//! with Go's error messages, and what they mean, run by Rust's `regex`.
//!
//! [`check`] walks a pattern as Go's `regexp/syntax` parser does (Perl flags, as
//! `regexp.Compile` uses) and returns its first error: `error parsing regexp: missing closing ):
//! `(``. Upstream validates most patterns up front ("invalid regexp"), but not those in the
//! transforms of `Combine*` patches, which fail when they run, with these messages.
//! `\p{...}` accepts exactly the names Go 1.26 does ([`UNICODE_CLASSES`]).
//!
//! Not reproduced: Go's limits on nesting (1000 levels) and program size, and its check that
//! nested counted repetitions stay below 1000; those patterns fail in Rust's `regex` instead.

use std::iter::Peekable;
use std::str::Chars;

use regex::{Regex, RegexBuilder};

/// The `\p{...}` names Go 1.26's `regexp` accepts, in its canonical form ([`canonical_name`]):
/// Unicode categories and their aliases, the scripts whose names have no `_` and no inner
/// capital (Go's name lookup cannot find the others), `Any`, `Assigned` and `ASCII`.
const UNICODE_CLASSES: &[&str] = &[
    "Adlam",
    "Ahom",
    "Any",
    "Arabic",
    "Armenian",
    "Ascii",
    "Assigned",
    "Avestan",
    "Balinese",
    "Bamum",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "C",
    "Carian",
    "Casedletter",
    "Cc",
    "Cf",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Closepunctuation",
    "Cn",
    "Cntrl",
    "Co",
    "Combiningmark",
    "Common",
    "Connectorpunctuation",
    "Control",
    "Coptic",
    "Cs",
    "Cuneiform",
    "Currencysymbol",
    "Cypriot",
    "Cyrillic",
    "Dashpunctuation",
    "Decimalnumber",
    "Deseret",
    "Devanagari",
    "Digit",
    "Dogra",
    "Duployan",
    "Elbasan",
    "Elymaic",
    "Enclosingmark",
    "Ethiopic",
    "Finalpunctuation",
    "Format",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Inherited",
    "Initialpunctuation",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kharoshthi",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "L",
    "Lao",
    "Latin",
    "Lc",
    "Lepcha",
    "Letter",
    "Letternumber",
    "Limbu",
    "Lineseparator",
    "Lisu",
    "Ll",
    "Lm",
    "Lo",
    "Lowercaseletter",
    "Lt",
    "Lu",
    "Lycian",
    "Lydian",
    "M",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Mark",
    "Mathsymbol",
    "Mc",
    "Me",
    "Medefaidrin",
    "Miao",
    "Mn",
    "Modi",
    "Modifierletter",
    "Modifiersymbol",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "N",
    "Nabataean",
    "Nandinagari",
    "Nd",
    "Newa",
    "Nko",
    "Nl",
    "No",
    "Nonspacingmark",
    "Number",
    "Nushu",
    "Ogham",
    "Openpunctuation",
    "Oriya",
    "Osage",
    "Osmanya",
    "Other",
    "Otherletter",
    "Othernumber",
    "Otherpunctuation",
    "Othersymbol",
    "P",
    "Palmyrene",
    "Paragraphseparator",
    "Pc",
    "Pd",
    "Pe",
    "Pf",
    "Phoenician",
    "Pi",
    "Po",
    "Privateuse",
    "Ps",
    "Punct",
    "Punctuation",
    "Rejang",
    "Runic",
    "S",
    "Samaritan",
    "Saurashtra",
    "Sc",
    "Separator",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sinhala",
    "Sk",
    "Sm",
    "So",
    "Sogdian",
    "Soyombo",
    "Spaceseparator",
    "Spacingmark",
    "Sundanese",
    "Surrogate",
    "Symbol",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Titlecaseletter",
    "Toto",
    "Ugaritic",
    "Unassigned",
    "Uppercaseletter",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Yezidi",
    "Yi",
    "Z",
    "Zl",
    "Zp",
    "Zs",
];

/// The POSIX classes Go accepts inside brackets, `[:alpha:]` and `[:^alpha:]`.
const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Compiles `pattern` as Go would, to a Rust regex with Go's meaning.
///
/// # Errors
/// Go's message for a pattern Go rejects, else Rust's for one only Rust rejects.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    check(pattern)?;
    // Octal escapes (`\101`) are Go syntax that Rust's regex reads only when asked.
    RegexBuilder::new(&translate_re2(pattern))
        .octal(true)
        .build()
        .map_err(|error| match error {
            regex::Error::Syntax(text) => {
                let last = text.lines().last().unwrap_or(&text).trim();
                format!(
                    "error parsing regexp: {}",
                    last.trim_start_matches("error: ")
                )
            }
            other => other.to_string(),
        })
}

/// What is on the parser's stack, as far as errors go: a regexp that may be repeated, or a
/// marker that may not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Regexp,
    LeftParen,
    VerticalBar,
}

/// Go's error message: ``error parsing regexp: <code>: `<expr>` ``.
fn error(code: &str, expr: &str) -> String {
    format!("error parsing regexp: {code}: `{expr}`")
}

/// The first error Go's parser reports for `pattern`, if any.
///
/// # Errors
/// Go's message, e.g. `error parsing regexp: trailing backslash at end of expression: ``.
pub fn check(pattern: &str) -> Result<(), String> {
    let mut stack: Vec<Item> = Vec::new();
    // Where the previous token started, when it was a repetition operator.
    let mut last_repeat: Option<usize> = None;
    let mut pos = 0;
    while pos < pattern.len() {
        let rest = &pattern[pos..];
        let mut repeat = None;
        let bytes = rest.as_bytes();
        match bytes[0] {
            b'(' if bytes.get(1) == Some(&b'?') => {
                let (len, opens) = perl_flags(rest)?;
                if opens {
                    stack.push(Item::LeftParen);
                }
                pos += len;
            }
            b'(' => {
                stack.push(Item::LeftParen);
                pos += 1;
            }
            b'|' => {
                concat(&mut stack);
                stack.push(Item::VerticalBar);
                pos += 1;
            }
            b')' => {
                alternate(&mut stack);
                let n = stack.len();
                if n < 2 || stack[n - 2] != Item::LeftParen {
                    return Err(error("unexpected )", pattern));
                }
                stack.truncate(n - 2);
                stack.push(Item::Regexp);
                pos += 1;
            }
            b'[' => {
                pos += class(rest)?;
                stack.push(Item::Regexp);
            }
            b'*' | b'+' | b'?' => {
                let end = pos + 1 + usize::from(bytes.get(1) == Some(&b'?'));
                check_repeat(pattern, &stack, pos, end, last_repeat)?;
                repeat = Some(pos);
                pos = end;
            }
            b'{' => match counted_repeat(rest) {
                None => {
                    stack.push(Item::Regexp);
                    pos += 1;
                }
                Some((len, is_valid)) => {
                    if !is_valid {
                        return Err(error("invalid repeat count", &rest[..len]));
                    }
                    let end = pos + len + usize::from(rest.as_bytes().get(len) == Some(&b'?'));
                    check_repeat(pattern, &stack, pos, end, last_repeat)?;
                    repeat = Some(pos);
                    pos = end;
                }
            },
            b'\\' => {
                pos += backslash(rest)?;
                stack.push(Item::Regexp);
            }
            _ => {
                pos += rest.chars().next().map_or(1, char::len_utf8);
                stack.push(Item::Regexp);
            }
        }
        last_repeat = repeat;
    }
    alternate(&mut stack);
    if stack.len() != 1 {
        return Err(error("missing closing )", pattern));
    }
    Ok(())
}

/// Collapses the regexps above the nearest marker into one (Go's `concat`).
fn concat(stack: &mut Vec<Item>) {
    while stack.last() == Some(&Item::Regexp) {
        stack.pop();
    }
    stack.push(Item::Regexp);
}

/// Collapses the alternation above the nearest `(` into one regexp (Go's `concat`,
/// `swapVerticalBar` and `alternate`).
fn alternate(stack: &mut Vec<Item>) {
    while matches!(stack.last(), Some(Item::Regexp | Item::VerticalBar)) {
        stack.pop();
    }
    stack.push(Item::Regexp);
}

/// Go's `repeat` checks for the operator at `start..end`: no repetition of a repetition, and
/// something to repeat.
fn check_repeat(
    pattern: &str,
    stack: &[Item],
    start: usize,
    end: usize,
    last_repeat: Option<usize>,
) -> Result<(), String> {
    if let Some(previous) = last_repeat {
        return Err(error(
            "invalid nested repetition operator",
            &pattern[previous..end],
        ));
    }
    if stack.last() != Some(&Item::Regexp) {
        return Err(error(
            "missing argument to repetition operator",
            &pattern[start..end],
        ));
    }
    Ok(())
}

/// Go's `parseRepeat`: `{n}`, `{n,}` or `{n,m}` at the start of `s`: its length and whether
/// its counts are allowed (at most 1000, min ≤ max); `None` when it is not one (a literal `{`).
fn counted_repeat(s: &str) -> Option<(usize, bool)> {
    let (min, mut i) = parse_int(s, 1)?;
    let max = match s.as_bytes().get(i)? {
        b',' => {
            i += 1;
            if s.as_bytes().get(i)? == &b'}' {
                -1
            } else {
                let (max, next) = parse_int(s, i)?;
                i = next;
                max
            }
        }
        _ => min,
    };
    if s.as_bytes().get(i)? != &b'}' {
        return None;
    }
    let min = if max == -2 { -2 } else { min };
    let is_valid = (0..=1000).contains(&min) && max <= 1000 && !(max >= 0 && min > max);
    Some((i + 1, is_valid))
}

/// Go's `parseInt` at `s[i..]`: digits without a leading zero; a value from 10^8 up is `-2`
/// (Go's -1, which `counted_repeat` tells from "no maximum").
fn parse_int(s: &str, i: usize) -> Option<(i64, usize)> {
    let bytes = s.as_bytes();
    let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || (digits >= 2 && bytes[i] == b'0') {
        return None;
    }
    let mut n: i64 = 0;
    for &b in &bytes[i..i + digits] {
        if n >= 100_000_000 {
            return Some((-2, i + digits));
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some((n, i + digits))
}

/// Go's `parsePerlFlags` for `s` starting `(?`: the length consumed and whether it opens a
/// group (a named capture or `(?flags:`), rather than only setting flags (`(?i)`).
fn perl_flags(s: &str) -> Result<(usize, bool), String> {
    let bytes = s.as_bytes();
    let name_start = if s.len() > 4 && bytes[2] == b'P' && bytes[3] == b'<' {
        Some(4)
    } else if s.len() > 3 && bytes[2] == b'<' {
        Some(3)
    } else {
        None
    };
    if let Some(start) = name_start {
        let Some(end) = s.find('>') else {
            return Err(error("invalid named capture", s));
        };
        let name = &s[start..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(error("invalid named capture", &s[..=end]));
        }
        return Ok((end + 1, true));
    }
    let mut is_negated = false;
    let mut has_flag = false;
    for (offset, c) in s[2..].char_indices() {
        let after = 2 + offset + c.len_utf8();
        match c {
            'i' | 'm' | 's' | 'U' => has_flag = true,
            '-' if !is_negated => {
                is_negated = true;
                has_flag = false;
            }
            ':' | ')' if !is_negated || has_flag => return Ok((after, c == ':')),
            _ => return Err(error("invalid or unsupported Perl syntax", &s[..after])),
        }
    }
    Err(error("invalid or unsupported Perl syntax", s))
}

/// A backslash sequence outside a class: its length.
fn backslash(s: &str) -> Result<usize, String> {
    match s.as_bytes().get(1) {
        Some(b'A' | b'b' | b'B' | b'z') => Ok(2),
        Some(b'C') => Err(error("invalid escape sequence", "\\C")),
        Some(b'Q') => Ok(s[2..].find("\\E").map_or(s.len(), |end| 2 + end + 2)),
        _ => class_escape(s)?.map_or_else(|| escape(s).map(|(_, len)| len), Ok),
    }
}

/// `\p{...}`, `\pX` or `\d`-style classes at the start of `s`: their length, or `None` when
/// `s` starts with another escape.
fn class_escape(s: &str) -> Result<Option<usize>, String> {
    let bytes = s.as_bytes();
    match bytes.get(1) {
        Some(b'p' | b'P') => unicode_class(s).map(Some),
        Some(b'd' | b'D' | b's' | b'S' | b'w' | b'W') => Ok(Some(2)),
        _ => Ok(None),
    }
}

/// Go's `parseUnicodeClass` for `s` starting `\p` or `\P`: its length.
fn unicode_class(s: &str) -> Result<usize, String> {
    let rest = &s[2..];
    let (sequence_len, name) = match rest.chars().next() {
        Some('{') => {
            let Some(end) = s.find('}') else {
                return Err(error("invalid character class range", s));
            };
            (end + 1, &s[3..end])
        }
        Some(c) => (2 + c.len_utf8(), &rest[..c.len_utf8()]),
        None => (2, ""),
    };
    let name = name.strip_prefix('^').unwrap_or(name);
    if UNICODE_CLASSES
        .binary_search(&canonical_name(name).as_str())
        .is_err()
    {
        return Err(error("invalid character class range", &s[..sequence_len]));
    }
    Ok(sequence_len)
}

/// Go's `canonicalName`: `_`, `-` and spaces dropped, the first letter upper case, the others
/// lower case.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut is_first = true;
    for b in name.bytes() {
        match b {
            b'_' | b'-' | b' ' => continue,
            _ if is_first => out.push(char::from(b.to_ascii_uppercase())),
            _ => out.push(char::from(b.to_ascii_lowercase())),
        }
        is_first = false;
    }
    // Non-ASCII bytes were pushed one by one; such names match nothing anyway.
    out
}

/// Go's `parseEscape` for `s` starting `\`: the escaped character and the sequence's length.
fn escape(s: &str) -> Result<(u32, usize), String> {
    let Some(c) = s[1..].chars().next() else {
        return Err(error("trailing backslash at end of expression", ""));
    };
    let after_c = 1 + c.len_utf8();
    let invalid = |end: usize| Err(error("invalid escape sequence", &s[..end]));
    let octal = |i: usize| {
        s.as_bytes()
            .get(i)
            .filter(|b| (b'0'..=b'7').contains(*b))
            .map(|b| u32::from(b - b'0'))
    };
    match c {
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((u32::from(c), after_c)),
        '1'..='7' if octal(after_c).is_none() => invalid(after_c),
        '0'..='7' => {
            let mut value = u32::from(c) - u32::from('0');
            let mut end = after_c;
            while end < after_c + 2
                && let Some(digit) = octal(end)
            {
                value = value * 8 + digit;
                end += 1;
            }
            Ok((value, end))
        }
        'a' => Ok((7, after_c)),
        'f' => Ok((12, after_c)),
        'n' => Ok((10, after_c)),
        'r' => Ok((13, after_c)),
        't' => Ok((9, after_c)),
        'v' => Ok((11, after_c)),
        'x' => hex_escape(s),
        _ => invalid(after_c),
    }
}

/// `\xHH` or `\x{H...}`: the character and the sequence's length.
fn hex_escape(s: &str) -> Result<(u32, usize), String> {
    let invalid = |end: usize| Err(error("invalid escape sequence", &s[..end]));
    let mut chars = s[2..].char_indices().map(|(i, c)| (i + 2, c));
    let Some((i, first)) = chars.next() else {
        return invalid(2);
    };
    let mut end = i + first.len_utf8();
    if first != '{' {
        let second = chars.next();
        end = second.map_or(end, |(i, c)| i + c.len_utf8());
        return match (first.to_digit(16), second.and_then(|(_, c)| c.to_digit(16))) {
            (Some(x), Some(y)) => Ok((x * 16 + y, end)),
            _ => invalid(end),
        };
    }
    let mut value: u32 = 0;
    for (digits, (i, c)) in chars.enumerate() {
        end = i + c.len_utf8();
        if c == '}' {
            return if digits == 0 {
                invalid(end)
            } else {
                Ok((value, end))
            };
        }
        let Some(digit) = c.to_digit(16) else {
            return invalid(end);
        };
        value = value * 16 + digit;
        if value > 0x10_ffff {
            return invalid(end);
        }
    }
    invalid(end)
}

/// Go's `parseClass` for `s` starting `[`: the class's length.
fn class(s: &str) -> Result<usize, String> {
    let mut pos = 1;
    if s[pos..].starts_with('^') {
        pos += 1;
    }
    let mut is_first = true;
    loop {
        let rest = &s[pos..];
        if rest.starts_with(']') && !is_first {
            return Ok(pos + 1);
        }
        is_first = false;
        if rest.len() > 2
            && rest.starts_with("[:")
            && let Some(end) = rest[2..].find(":]")
        {
            let name = &rest[..end + 4];
            let inner = &name[2..name.len() - 2];
            if !POSIX_CLASSES.contains(&inner.strip_prefix('^').unwrap_or(inner)) {
                return Err(error("invalid character class range", name));
            }
            pos += name.len();
            continue;
        }
        if let Some(len) = class_escape(rest)? {
            pos += len;
            continue;
        }
        let range_start = pos;
        let (lo, len) = class_char(rest, s)?;
        pos += len;
        let rest = &s[pos..];
        if rest.len() >= 2 && rest.starts_with('-') && !rest[1..].starts_with(']') {
            pos += 1;
            let (hi, len) = class_char(&s[pos..], s)?;
            pos += len;
            if hi < lo {
                return Err(error("invalid character class range", &s[range_start..pos]));
            }
        }
    }
}

/// One character of a class at the start of `s` (in the class `whole`): its value and length.
fn class_char(s: &str, whole: &str) -> Result<(u32, usize), String> {
    match s.chars().next() {
        None => Err(error("missing closing ]", whole)),
        Some('\\') => escape(s),
        Some(c) => Ok((u32::from(c), c.len_utf8())),
    }
}

/// Rewrites a Go pattern (one [`check`] accepts) for Rust's `regex` with the same meaning:
/// `\d`, `\w`, `\s`, `\b` and their negations are ASCII-only in Go, `\Q...\E` quotes a
/// literal, and a `[` inside a class is a literal.
fn translate_re2(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => translate_escape(&mut out, &mut chars, in_class),
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            // A POSIX class such as `[:alpha:]` inside a class.
            '[' if chars.peek() == Some(&':') => {
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            // Go reads a `{` that does not start a valid count as a literal; Rust rejects it.
            '{' if !in_class => {
                let rest: String = std::iter::once('{').chain(chars.clone()).collect();
                if counted_repeat(&rest).is_some() {
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Rewrites the escape after a `\` of a Go pattern (see [`translate_re2`]); `in_class` is
/// whether it stands inside a character class.
fn translate_escape(out: &mut String, chars: &mut Peekable<Chars<'_>>, in_class: bool) {
    match chars.next() {
        Some('Q') => {
            let mut literal = String::new();
            while let Some(q) = chars.next() {
                if q == '\\' && chars.peek() == Some(&'E') {
                    chars.next();
                    break;
                }
                literal.push(q);
            }
            out.push_str(&regex::escape(&literal));
        }
        Some('d') => out.push_str("[0-9]"),
        Some('D') => out.push_str("[^0-9]"),
        Some('w') => out.push_str("[0-9A-Za-z_]"),
        Some('W') => out.push_str("[^0-9A-Za-z_]"),
        Some('s') => out.push_str("[\\t\\n\\f\\r ]"),
        Some('S') => out.push_str("[^\\t\\n\\f\\r ]"),
        Some(boundary @ ('b' | 'B')) if !in_class => {
            out.push_str("(?-u:\\");
            out.push(boundary);
            out.push(')');
        }
        Some('x') => {
            out.push_str("\\x");
            if chars.peek() == Some(&'{') {
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '}' {
                        break;
                    }
                }
            }
        }
        // A Unicode class: Rust understands Go's names, but negates with \P only.
        Some(class @ ('p' | 'P')) => {
            if chars.peek() == Some(&'{') {
                let name: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                let (is_negated, name) = match name.strip_prefix('^') {
                    Some(name) => (class == 'p', name),
                    None => (class == 'P', name.as_str()),
                };
                out.push_str(if is_negated { "\\P{" } else { "\\p{" });
                out.push_str(name);
                out.push('}');
            } else {
                out.push('\\');
                out.push(class);
            }
        }
        Some(other) => {
            out.push('\\');
            out.push(other);
        }
        None => out.push('\\'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_worded_as_go_words_them() {
        // Checked against Go 1.26's regexp.Compile.
        let cases = [
            ("(", "missing closing ): `(`"),
            ("a(b", "missing closing ): `a(b`"),
            ("a)", "unexpected ): `a)`"),
            ("[", "missing closing ]: `[`"),
            ("x[a-", "missing closing ]: `[a-`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            ("\\", "trailing backslash at end of expression: ``"),
            ("a\\q", "invalid escape sequence: `\\q`"),
            ("\\8", "invalid escape sequence: `\\8`"),
            ("\\xZZ", "invalid escape sequence: `\\xZZ`"),
            ("\\x{12", "invalid escape sequence: `\\x{12`"),
            ("\\C", "invalid escape sequence: `\\C`"),
            ("*a", "missing argument to repetition operator: `*`"),
            ("a|+", "missing argument to repetition operator: `+`"),
            ("(?i)*", "missing argument to repetition operator: `*`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("a+?*", "invalid nested repetition operator: `+?*`"),
            ("a{2,1}", "invalid repeat count: `{2,1}`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("(?<>a)", "invalid named capture: `(?<>`"),
            ("(?P<n", "invalid named capture: `(?P<n`"),
            ("(?x)", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?P=n)", "invalid or unsupported Perl syntax: `(?P`"),
            ("(?i-)", "invalid or unsupported Perl syntax: `(?i-)`"),
            (
                "\\p{Alphabetic}",
                "invalid character class range: `\\p{Alphabetic}`",
            ),
            (
                "\\p{Old_Italic}",
                "invalid character class range: `\\p{Old_Italic}`",
            ),
            ("\\pX", "invalid character class range: `\\pX`"),
            ("\\p{Greek", "invalid character class range: `\\p{Greek`"),
        ];
        for (pattern, message) in cases {
            assert_eq!(
                check(pattern),
                Err(format!("error parsing regexp: {message}")),
                "{pattern}"
            );
        }
    }

    #[test]
    fn what_go_accepts_compiles() {
        for pattern in [
            "a{,5}",
            "x{",
            "^*",
            "a{2}?",
            "(?i:a)+",
            "(?P<name>x)",
            "(?<n>x)",
            "[]a]",
            "[^]a]",
            "[a-]",
            "\\p{greek}",
            "\\p{L u}",
            "\\pN",
            "\\p{^Han}",
            "[[:^alpha:]\\d]",
            "\\Qa*\\E",
            "\\x{1F600}",
            "\\101",
            "\\0",
            "a|b|",
            "()",
            "(|)",
        ] {
            assert_eq!(check(pattern), Ok(()), "{pattern}");
            assert!(compile(pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn regexes_mean_what_go_re2_means() {
        let find = |pattern: &str, text: &str| {
            compile(pattern)
                .unwrap()
                .find(text)
                .map(|m| m.as_str().to_owned())
        };
        assert_eq!(find(r"\w+", "héllo").as_deref(), Some("h"));
        assert_eq!(find(r"\d+", "x٣7").as_deref(), Some("7"));
        assert_eq!(find(r"\s", "a\u{a0}b c").as_deref(), Some(" "));
        assert_eq!(find(r"\bx", "éx").as_deref(), Some("x"));
        assert_eq!(find(r"^\Qa.b\E$", "a.b").as_deref(), Some("a.b"));
        assert_eq!(find(r"^\Qa.b\E$", "axb"), None);
        assert_eq!(find(r"[\w-]+", "é-a-é").as_deref(), Some("-a-"));
        assert_eq!(find(r"[[:alpha:]]+", "1ab2").as_deref(), Some("ab"));
        assert_eq!(find(r"[a[]+", "x[a[").as_deref(), Some("[a["));
        assert_eq!(find(r"\\d", r"a\d").as_deref(), Some(r"\d"));
        assert_eq!(find(r"(?P<n>[a-z]+)\.", "ab.").as_deref(), Some("ab."));
    }
}

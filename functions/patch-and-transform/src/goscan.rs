//! Go's `json.Unmarshal` of a string into a map or a slice, as the `convert` transform with
//! format `json` uses it, with Go's error messages.
//!
//! `encoding/json` checks the whole input with its scanner before decoding, so a syntax error
//! is reported first, worded by the scanner (`invalid character 'm' looking for beginning of
//! value`, `unexpected end of JSON input`). Then the decoder reports the first value that does
//! not fit: the top-level kind (`json: cannot unmarshal array into Go value of type
//! map[string]interface {}`) or a number beyond `float64` (`json: cannot unmarshal number 1e400
//! into Go value of type float64`).
//!
//! Not reproduced: nesting deeper than 128 levels (Go allows 10000) and `\u` escapes of lone
//! surrogates (Go decodes them as U+FFFD) fail here with serde_json's message.

use serde_json::Value;

use crate::value::parsed;

/// How deep Go's scanner lets objects and arrays nest.
const MAX_DEPTH: usize = 10_000;

/// `json.Unmarshal([]byte(text), &target)` where the target is a `map[string]any` (when
/// `is_object`) or a `[]any`; `null` leaves an empty map or a nil slice.
///
/// # Errors
/// Go's message for the first syntax error, kind mismatch or out-of-range number.
pub fn unmarshal(text: &str, is_object: bool) -> Result<Value, String> {
    let first_overflow = scan(text.as_bytes())?;
    let target = if is_object {
        "map[string]interface {}"
    } else {
        "[]interface {}"
    };
    let found = match text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .as_bytes()
        .first()
    {
        Some(b'n') => {
            return Ok(if is_object {
                Value::Object(serde_json::Map::new())
            } else {
                Value::Null
            });
        }
        Some(b'{') if is_object => None,
        Some(b'[') if !is_object => None,
        Some(b'{') => Some("object"),
        Some(b'[') => Some("array"),
        Some(b'"') => Some("string"),
        Some(b't' | b'f') => Some("bool"),
        _ => Some("number"),
    };
    if let Some(found) = found {
        return Err(format!(
            "json: cannot unmarshal {found} into Go value of type {target}"
        ));
    }
    if let Some(number) = first_overflow {
        return Err(format!(
            "json: cannot unmarshal number {number} into Go value of type float64"
        ));
    }
    serde_json::from_str(text)
        .map(parsed)
        .map_err(|error| error.to_string())
}

/// Where the scanner is inside an object or array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    ObjectKey,
    ObjectValue,
    Array,
}

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    /// Inside a string literal.
    String(InString),
    /// Inside a number literal.
    Number(InNumber),
    /// Inside a literal: its remaining bytes, and the literal's name for messages.
    Literal(&'static [u8], &'static str),
}

/// Where the scanner is inside a string literal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InString {
    /// Between characters.
    Text,
    /// After a `\`.
    Escape,
    /// Inside `\u`, with this many hex digits read.
    EscapeU(u8),
}

/// Where the scanner is inside a number literal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InNumber {
    Negative,
    /// After a leading `1`-`9` and more digits.
    Digits,
    Zero,
    Dot,
    Fraction,
    Exponent,
    ExponentSign,
    ExponentDigits,
}

/// Go's `checkValid`: the first syntax error as its scanner words it, else the first number
/// literal that overflows a `float64`.
fn scan(input: &[u8]) -> Result<Option<String>, String> {
    let mut scanner = Scanner {
        state: State::BeginValue,
        stack: Vec::new(),
        number_start: None,
        first_overflow: None,
    };
    for (offset, &c) in input.iter().enumerate() {
        scanner.step(input, offset, c)?;
    }
    // At the end Go feeds one space, which completes a number or reports a truncated literal.
    if scanner.state != State::EndTop {
        scanner.step(input, input.len(), b' ')?;
        if scanner.state != State::EndTop {
            return Err("unexpected end of JSON input".to_owned());
        }
    }
    Ok(scanner.first_overflow)
}

struct Scanner {
    state: State,
    stack: Vec<Container>,
    number_start: Option<usize>,
    first_overflow: Option<String>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// `invalid character 'x' <context>`, the byte quoted as Go's `quoteChar` does.
fn invalid(c: u8, context: &str) -> String {
    let quoted = match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        // Go converts the byte to the rune of the same number, then quotes that rune.
        _ => {
            let rune = char::from(c);
            let escaped = match rune {
                '\u{7}' => "\\a".to_owned(),
                '\u{8}' => "\\b".to_owned(),
                '\u{c}' => "\\f".to_owned(),
                '\n' => "\\n".to_owned(),
                '\r' => "\\r".to_owned(),
                '\t' => "\\t".to_owned(),
                '\u{b}' => "\\v".to_owned(),
                '\\' => "\\\\".to_owned(),
                c if c < ' ' || c == '\u{7f}' => format!("\\x{:02x}", u32::from(c)),
                c if ('\u{80}'..='\u{a0}').contains(&c) || c == '\u{ad}' => {
                    format!("\\u{:04x}", u32::from(c))
                }
                c => c.to_string(),
            };
            format!("'{escaped}'")
        }
    };
    format!("invalid character {quoted} {context}")
}

impl Scanner {
    fn push(&mut self, container: Container) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err("exceeded max depth".to_owned());
        }
        self.stack.push(container);
        Ok(())
    }

    /// Feeds one byte, as Go's state functions do; some states hand the byte on to the next.
    fn step(&mut self, input: &[u8], offset: usize, c: u8) -> Result<(), String> {
        match self.state {
            State::BeginValueOrEmpty if is_space(c) => {}
            State::BeginValueOrEmpty if c == b']' => return self.end_value(c),
            State::BeginValueOrEmpty | State::BeginValue => return self.begin_value(offset, c),
            State::BeginStringOrEmpty if is_space(c) => {}
            State::BeginStringOrEmpty if c == b'}' => {
                if let Some(top) = self.stack.last_mut() {
                    *top = Container::ObjectValue;
                }
                return self.end_value(c);
            }
            State::BeginStringOrEmpty | State::BeginString => {
                if is_space(c) {
                } else if c == b'"' {
                    self.state = State::String(InString::Text);
                } else {
                    return Err(invalid(c, "looking for beginning of object key string"));
                }
            }
            State::EndValue => return self.end_value(c),
            State::EndTop => {
                if !is_space(c) {
                    return Err(invalid(c, "after top-level value"));
                }
            }
            State::String(at) => return self.string_byte(at, c),
            State::Number(at) => return self.number_byte(at, input, offset, c),
            State::Literal(rest, name) => {
                let (&expected, rest) = rest.split_first().expect("literal states have bytes left");
                if c != expected {
                    return Err(invalid(
                        c,
                        &format!("in literal {name} (expecting '{}')", char::from(expected)),
                    ));
                }
                self.state = if rest.is_empty() {
                    State::EndValue
                } else {
                    State::Literal(rest, name)
                };
            }
        }
        Ok(())
    }

    /// Feeds one byte of a string literal.
    fn string_byte(&mut self, at: InString, c: u8) -> Result<(), String> {
        match at {
            InString::Text => match c {
                b'"' => self.state = State::EndValue,
                b'\\' => self.state = State::String(InString::Escape),
                c if c < 0x20 => return Err(invalid(c, "in string literal")),
                _ => {}
            },
            InString::Escape => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.state = State::String(InString::Text);
                }
                b'u' => self.state = State::String(InString::EscapeU(0)),
                _ => return Err(invalid(c, "in string escape code")),
            },
            InString::EscapeU(read) => {
                if !c.is_ascii_hexdigit() {
                    return Err(invalid(c, "in \\u hexadecimal character escape"));
                }
                self.state = if read == 3 {
                    State::String(InString::Text)
                } else {
                    State::String(InString::EscapeU(read + 1))
                };
            }
        }
        Ok(())
    }

    /// Feeds one byte of a number literal; a byte that ends it goes on to [`Self::end_number`].
    fn number_byte(
        &mut self,
        at: InNumber,
        input: &[u8],
        offset: usize,
        c: u8,
    ) -> Result<(), String> {
        match at {
            InNumber::Negative => match c {
                b'0' => self.state = State::Number(InNumber::Zero),
                b'1'..=b'9' => self.state = State::Number(InNumber::Digits),
                _ => return Err(invalid(c, "in numeric literal")),
            },
            InNumber::Digits if c.is_ascii_digit() => {}
            InNumber::Digits | InNumber::Zero => match c {
                b'.' => self.state = State::Number(InNumber::Dot),
                b'e' | b'E' => self.state = State::Number(InNumber::Exponent),
                _ => return self.end_number(input, offset, c),
            },
            InNumber::Dot => {
                if !c.is_ascii_digit() {
                    return Err(invalid(c, "after decimal point in numeric literal"));
                }
                self.state = State::Number(InNumber::Fraction);
            }
            InNumber::Fraction => match c {
                b'0'..=b'9' => {}
                b'e' | b'E' => self.state = State::Number(InNumber::Exponent),
                _ => return self.end_number(input, offset, c),
            },
            InNumber::Exponent if matches!(c, b'+' | b'-') => {
                self.state = State::Number(InNumber::ExponentSign)
            }
            InNumber::Exponent | InNumber::ExponentSign => {
                if !c.is_ascii_digit() {
                    return Err(invalid(c, "in exponent of numeric literal"));
                }
                self.state = State::Number(InNumber::ExponentDigits);
            }
            InNumber::ExponentDigits if c.is_ascii_digit() => {}
            InNumber::ExponentDigits => return self.end_number(input, offset, c),
        }
        Ok(())
    }

    fn begin_value(&mut self, offset: usize, c: u8) -> Result<(), String> {
        self.state = match c {
            c if is_space(c) => return Ok(()),
            b'{' => {
                self.push(Container::ObjectKey)?;
                State::BeginStringOrEmpty
            }
            b'[' => {
                self.push(Container::Array)?;
                State::BeginValueOrEmpty
            }
            b'"' => State::String(InString::Text),
            b'-' => {
                self.number_start = Some(offset);
                State::Number(InNumber::Negative)
            }
            b'0' => {
                self.number_start = Some(offset);
                State::Number(InNumber::Zero)
            }
            b'1'..=b'9' => {
                self.number_start = Some(offset);
                State::Number(InNumber::Digits)
            }
            b't' => State::Literal(b"rue", "true"),
            b'f' => State::Literal(b"alse", "false"),
            b'n' => State::Literal(b"ull", "null"),
            _ => return Err(invalid(c, "looking for beginning of value")),
        };
        Ok(())
    }

    /// A number literal ended at `offset`: note it when it overflows, then go on with `c`.
    fn end_number(&mut self, input: &[u8], offset: usize, c: u8) -> Result<(), String> {
        if let Some(start) = self.number_start.take()
            && self.first_overflow.is_none()
        {
            let text = String::from_utf8_lossy(&input[start..offset]);
            if text.parse::<f64>().is_ok_and(f64::is_infinite) {
                self.first_overflow = Some(text.into_owned());
            }
        }
        self.end_value(c)
    }

    /// A value ended: what may follow depends on the enclosing object or array.
    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&top) = self.stack.last() else {
            self.state = State::EndTop;
            if !is_space(c) {
                return Err(invalid(c, "after top-level value"));
            }
            return Ok(());
        };
        if is_space(c) {
            self.state = State::EndValue;
            return Ok(());
        }
        match (top, c) {
            (Container::ObjectKey, b':') => {
                *self.stack.last_mut().expect("the stack has a top") = Container::ObjectValue;
                self.state = State::BeginValue;
            }
            (Container::ObjectKey, _) => return Err(invalid(c, "after object key")),
            (Container::ObjectValue, b',') => {
                *self.stack.last_mut().expect("the stack has a top") = Container::ObjectKey;
                self.state = State::BeginString;
            }
            (Container::ObjectValue, b'}') | (Container::Array, b']') => {
                self.stack.pop();
                self.state = State::EndValue;
            }
            (Container::ObjectValue, _) => {
                return Err(invalid(c, "after object key:value pair"));
            }
            (Container::Array, b',') => self.state = State::BeginValue,
            (Container::Array, _) => return Err(invalid(c, "after array element")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn syntax_errors_are_worded_as_go_words_them() {
        let cases = [
            ("", "unexpected end of JSON input"),
            ("  ", "unexpected end of JSON input"),
            ("{\"a\": 1", "unexpected end of JSON input"),
            ("m", "invalid character 'm' looking for beginning of value"),
            (
                "{a}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\": 1 2}",
                "invalid character '2' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("[1] x", "invalid character 'x' after top-level value"),
            (
                "tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                "nul!",
                "invalid character '!' in literal null (expecting 'l')",
            ),
            ("-a", "invalid character 'a' in numeric literal"),
            (
                "1.e",
                "invalid character 'e' after decimal point in numeric literal",
            ),
            (
                "1e+",
                "invalid character ' ' in exponent of numeric literal",
            ),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            (
                "\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            (
                "'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (
                "日本",
                "invalid character 'æ' looking for beginning of value",
            ),
            ("01", "invalid character '1' after top-level value"),
        ];
        for (input, message) in cases {
            assert_eq!(scan(input.as_bytes()), Err(message.to_owned()), "{input:?}");
        }
    }

    #[test]
    fn values_decode_as_go_decodes_them() {
        assert_eq!(
            unmarshal(" {\"a\": [1, 2.5]} ", true),
            Ok(parsed(json!({"a": [1, 2.5]})))
        );
        assert_eq!(unmarshal("null", true), Ok(json!({})));
        assert_eq!(unmarshal("null", false), Ok(Value::Null));
        assert_eq!(
            unmarshal("[1]", true),
            Err(
                "json: cannot unmarshal array into Go value of type map[string]interface {}"
                    .to_owned()
            )
        );
        assert_eq!(
            unmarshal("true", false),
            Err("json: cannot unmarshal bool into Go value of type []interface {}".to_owned())
        );
        assert_eq!(
            unmarshal("[1, 1e400, 2e999]", false),
            Err("json: cannot unmarshal number 1e400 into Go value of type float64".to_owned())
        );
    }
}

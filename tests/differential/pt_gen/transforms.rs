//! Random P&T transforms: every type and option, with parameters that often fit the value being
//! transformed and sometimes do not.

use serde_json::{Map, Value, json};

use crate::differential::rng::Rng;
use crate::differential::values;

/// Go `fmt` formats: every verb P&T users write, flags, width, precision, argument indexes and
/// the malformed ones that print Go's in-band errors. Never `%p`, even by joining two of these:
/// Go prints a map's memory address there (docs/compatibility.md).
pub const FORMATS: &[&str] = &[
    "%s",
    "%v",
    "%d",
    "%q",
    "%x",
    "%X",
    "%t",
    "%f",
    "%.2f",
    "%5.1f",
    "%-8s|",
    "%08.3f",
    "%e",
    "%g",
    "%T",
    "%+v",
    "%#v",
    "%o",
    "%b",
    "%c",
    "%U",
    "%10v",
    "%-5d|",
    "%+d",
    "% d",
    "%#x",
    "%%",
    "%!",
    "%z",
    "%",
    "%[1]s",
    "%[2]s",
    "%[1]v-%[1]v",
    "before-%s-after",
    "%s-%s",
    "%v/%v/%v",
    "%*d",
    "%.*f",
    "%.3s",
    "%5.2q",
    "%#q",
    "%x-%X",
    "%.0f",
    "%6.2e",
    "%G",
    "%s %d %v",
    "",
];

/// RE2 patterns, including ones Go and Rust's regex crates spell or treat differently.
pub const REGEXES: &[&str] = &[
    "^(\\w+)-(\\d+)$",
    "[a-z]+",
    "(?i)FOO",
    "\\d{2,}",
    "^$",
    "(",
    "a|b",
    "\\p{L}+",
    ".*",
    "(?P<name>[a-z])(.)",
    "\\bworld\\b",
    "[[:alpha:]]+",
    "\\pL",
    "x*?",
    "^https://(.*)$",
    "(\\d+)\\.(\\d+)",
    "[^-]+",
    "\\s+",
    "é+",
    "(a)(b)?(c)?",
    "\\Qa.b\\E",
    "(?s).+",
    "[",
    "\\",
    "\\z",
    "a**",
    "(?x)",
    "\\8",
    "[z-a]",
    "a{2,1}",
    "\\p{Greek}+",
    "\\p{Alphabetic}",
    "a{,5}",
    "x{",
    "^*",
    "\\101",
    "(?i:A)+",
    "[[:foo:]]",
    "\\x{1F600}",
    "(?P<n>x)(?P=n)",
];

/// The string conversions of `string.convert`, plus one upstream does not know.
const CONVERSIONS: &[&str] = &[
    "ToUpper",
    "ToLower",
    "ToBase64",
    "FromBase64",
    "ToJson",
    "ToSha1",
    "ToSha256",
    "ToSha512",
    "ToAdler32",
    "ToKebab",
];

/// `convert.toType` values, plus one upstream does not know.
const TYPES: &[&str] = &[
    "string", "int", "int64", "bool", "float64", "object", "array", "uint",
];

/// `convert.format` values, plus one upstream does not know.
const CONVERT_FORMATS: &[&str] = &["none", "quantity", "json", "yaml"];

/// A pipeline of 0-3 transforms for a value that starts as `input` (when known).
pub fn pipeline(rng: &mut Rng, input: Option<&Value>) -> Vec<Value> {
    let count = match rng.below(10) {
        0..=2 => 0,
        3..=6 => 1,
        7 | 8 => 2,
        _ => 3,
    };
    (0..count)
        .map(|index| transform(rng, if index == 0 { input } else { None }))
        .collect()
}

/// One transform of a random type.
pub fn transform(rng: &mut Rng, input: Option<&Value>) -> Value {
    if rng.one_in(150) {
        return rng
            .pick(&[
                json!({"type": "string"}),
                json!({"type": "lookup"}),
                json!({"map": {"a": 1}}),
            ])
            .clone();
    }
    match rng.below(100) {
        0..=13 => json!({"type": "map", "map": map(rng, input)}),
        14..=27 => json!({"type": "match", "match": match_(rng, input)}),
        28..=41 => json!({"type": "math", "math": math(rng)}),
        42..=74 => json!({"type": "string", "string": string(rng, input)}),
        _ => json!({"type": "convert", "convert": convert(rng)}),
    }
}

/// A string the input might equal: the input itself when it is a string, else any string.
fn likely_key(rng: &mut Rng, input: Option<&Value>) -> String {
    match input {
        Some(Value::String(text)) if rng.chance(60) => text.clone(),
        _ => values::string(rng),
    }
}

fn map(rng: &mut Rng, input: Option<&Value>) -> Value {
    let mut pairs = Map::new();
    for _ in 0..rng.range(0, 4) {
        let key = likely_key(rng, input);
        pairs.insert(key, values::value(rng, 2));
    }
    if pairs.is_empty() && !rng.one_in(20) {
        pairs.insert(likely_key(rng, input), values::scalar(rng));
    }
    Value::Object(pairs)
}

fn match_(rng: &mut Rng, input: Option<&Value>) -> Value {
    let mut patterns = Vec::new();
    for _ in 0..rng.range(0, 3) {
        let mut pattern = Map::new();
        if rng.one_in(100) {
            pattern.insert("type".into(), json!("glob"));
        } else if rng.chance(55) {
            if rng.chance(70) {
                pattern.insert("type".into(), json!("literal"));
            }
            if !rng.one_in(100) {
                pattern.insert("literal".into(), json!(likely_key(rng, input)));
            }
        } else {
            pattern.insert("type".into(), json!("regexp"));
            if !rng.one_in(100) {
                pattern.insert("regexp".into(), json!(rng.pick(REGEXES)));
            }
        }
        if rng.chance(90) {
            pattern.insert("result".into(), values::value(rng, 2));
        }
        patterns.push(Value::Object(pattern));
    }
    let mut out = Map::new();
    if !patterns.is_empty() || !rng.one_in(10) {
        out.insert("patterns".into(), Value::Array(patterns));
    }
    if rng.chance(40) {
        out.insert("fallbackValue".into(), values::value(rng, 1));
    }
    if rng.chance(35) {
        out.insert(
            "fallbackTo".into(),
            json!(rng.pick(&["Value", "Input", "Input", "Nothing"])),
        );
    }
    Value::Object(out)
}

/// An int64 parameter: ordinary, negative or near the int64 edges.
fn int64(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0..=5 => json!(rng.range(-10, 100)),
        6 | 7 => json!(rng.range(-100_000, 100_000)),
        8 => json!(*rng.pick(&[
            i64::MAX,
            i64::MIN,
            1 << 40,
            -(1 << 53),
            4_611_686_018_427_387_904
        ])),
        _ if rng.one_in(10) => json!(*rng.pick(&[1.5, -0.5, 1e19])),
        _ => json!(rng.range(0, 3)),
    }
}

fn math(rng: &mut Rng) -> Value {
    let mut out = Map::new();
    let kind = if rng.one_in(50) {
        *rng.pick(&["", "Divide"])
    } else {
        *rng.pick(&["Multiply", "ClampMin", "ClampMax"])
    };
    if !kind.is_empty() {
        out.insert("type".into(), json!(kind));
    }
    for (field, chance) in [("multiply", 30), ("clampMin", 30), ("clampMax", 30)] {
        let wanted = kind.to_lowercase() == field.to_lowercase();
        if (wanted && !rng.one_in(50)) || rng.chance(chance / 3) {
            out.insert(field.into(), int64(rng));
        }
    }
    Value::Object(out)
}

fn string(rng: &mut Rng, input: Option<&Value>) -> Value {
    if rng.one_in(100) {
        return rng
            .pick(&[
                json!({"type": "Format"}),
                json!({"fmt": "%s"}),
                json!({"type": "Reverse"}),
            ])
            .clone();
    }
    match rng.below(97) {
        0..=24 => json!({"type": "Format", "fmt": rng.pick(FORMATS)}),
        25..=49 => {
            let conversions = if rng.one_in(30) {
                CONVERSIONS
            } else {
                &CONVERSIONS[..CONVERSIONS.len() - 1]
            };
            json!({"type": "Convert", "convert": rng.pick(conversions)})
        }
        50..=57 => json!({"type": "TrimPrefix", "trim": trim(rng, input, true)}),
        58..=65 => json!({"type": "TrimSuffix", "trim": trim(rng, input, false)}),
        66..=77 => {
            let mut regexp = Map::new();
            regexp.insert("match".into(), json!(rng.pick(REGEXES)));
            // Not negative: upstream panics on a negative group that the input matches, and
            // the process exits (docs/compatibility.md; pinned by its own test).
            if rng.chance(50) {
                regexp.insert("group".into(), json!(rng.range(0, 3)));
            }
            json!({"type": "Regexp", "regexp": regexp})
        }
        78..=87 => {
            // No multi-byte separator: upstream cuts its last character in two, and what later
            // transforms make of the invalid UTF-8 differs (docs/compatibility.md).
            json!({"type": "Join", "join": {"separator": rng.pick(&["", ",", ", ", "-", "::"])}})
        }
        _ => {
            let search = if rng.one_in(50) {
                String::new()
            } else {
                likely_fragment(rng, input)
            };
            json!({"type": "Replace", "replace": {"search": search, "replace": values::string(rng)}})
        }
    }
}

/// A prefix or suffix of the input when it is a string, else any string.
fn trim(rng: &mut Rng, input: Option<&Value>, is_prefix: bool) -> String {
    match input {
        Some(Value::String(text)) if rng.chance(60) && !text.is_empty() => {
            let chars: Vec<char> = text.chars().collect();
            let count = rng.below(chars.len()) + 1;
            if is_prefix {
                chars[..count].iter().collect()
            } else {
                chars[chars.len() - count..].iter().collect()
            }
        }
        _ => values::string(rng),
    }
}

/// A piece of the input when it is a string, else a short string.
fn likely_fragment(rng: &mut Rng, input: Option<&Value>) -> String {
    match input {
        Some(Value::String(text)) if rng.chance(60) && !text.is_empty() => {
            let chars: Vec<char> = text.chars().collect();
            let start = rng.below(chars.len());
            let end = start + 1 + rng.below(chars.len() - start);
            chars[start..end].iter().collect()
        }
        _ => (*rng.pick(&["o", "-", "a", "Cr", "é", " ", "1"])).to_owned(),
    }
}

fn convert(rng: &mut Rng) -> Value {
    let mut out = Map::new();
    if !rng.one_in(100) {
        let types = if rng.one_in(50) {
            TYPES
        } else {
            &TYPES[..TYPES.len() - 1]
        };
        out.insert("toType".into(), json!(rng.pick(types)));
    }
    if rng.chance(40) {
        let formats = if rng.one_in(30) {
            CONVERT_FORMATS
        } else {
            &CONVERT_FORMATS[..CONVERT_FORMATS.len() - 1]
        };
        out.insert("format".into(), json!(rng.pick(formats)));
    }
    Value::Object(out)
}

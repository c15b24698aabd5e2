//! Random JSON data for generated requests: strings, numbers and objects chosen to reach the
//! corners of Go's and Rust's handling of them (unicode, huge and negative numbers, base64, JSON
//! in strings, quantities), and the field paths that point into them.

use serde_json::{Map, Value, json};

use super::rng::Rng;

/// Plain keys: what compositions mostly use.
pub const KEYS: &[&str] = &[
    "name", "region", "size", "count", "enabled", "tags", "items", "labels", "ratio", "id", "note",
    "nested", "list", "data", "value", "a", "b", "c",
];

/// Keys that need care in a field path: dots and slashes need brackets, the rest are unusual.
/// Not `*`: a `[*]` over an object with that key crashes upstream (pinned by its own test).
pub const ODD_KEYS: &[&str] = &[
    "crossplane.io/external-name",
    "app.kubernetes.io/name",
    ".config.yml",
    "ñame",
    "日本",
    "with space",
    "0",
    "a-b",
    "UPPER",
];

/// Strings: ordinary, unicode, numeric, boolean, base64, JSON, quantities, Go format verbs.
pub const STRINGS: &[&str] = &[
    "",
    "foo",
    "bar",
    "Hello, World",
    "Crossplane",
    "crossplane.io",
    "https://crossplane.io",
    "ünïcödé ☃",
    "日本語テキスト",
    "emoji 😀👍",
    "1000m",
    "1.5Gi",
    "2e3",
    "250Mi",
    "-5M",
    "100 blabla",
    "42",
    "-7",
    "3.5",
    "0x1F",
    "1e400",
    "9223372036854775808",
    "true",
    "false",
    "True",
    "1",
    "0",
    "NaN",
    "-Inf",
    "+NaN",
    "Infinity",
    "1_000",
    "0x1p-2",
    "0x1.8p1",
    "0.0000000001",
    "1.5e-7",
    "0.5Ki",
    "99999999999999999999Ei",
    "1e-20",
    "Y3Jvc3NwbGFuZQ==",
    "not base64!",
    "{\"a\": 1, \"b\": [true, null]}",
    "[1, \"two\", 3.5]",
    "{}",
    "a.b.c",
    "with \"quotes\"",
    "<tag>&amp;",
    "  padded  ",
    "line\nbreak\ttab",
    "us-east-1",
    "eu-west-1",
    "db.t3.small",
    "small",
    "large",
    "%s",
    "%d%%",
    "back\\slash",
    "null",
    "abc-123-def",
    "prefix-middle-suffix",
];

/// Numbers: small, negative, fractional, at the edges of int64 and float64 precision, huge.
#[expect(
    clippy::approx_constant,
    reason = "3.14159 is data with five decimals, not π"
)]
pub const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    -1.0,
    2.0,
    3.0,
    7.0,
    10.0,
    42.0,
    100.0,
    1000.0,
    1024.0,
    -273.0,
    65535.0,
    1e6,
    1e15,
    9_007_199_254_740_992.0,
    -9_007_199_254_740_992.0,
    1e21,
    1.5e300,
    -1e300,
    0.5,
    -0.25,
    3.14159,
    1e-7,
    2.5,
    1.000_000_1,
    123_456_789.123,
    9.223_372_036_854_776e18,
    -9.223_372_036_854_776e18,
    5e-324,
    1.797_693_134_862_315_7e308,
];

/// A string: mostly from [`STRINGS`], sometimes a random mix of ASCII and unicode.
pub fn string(rng: &mut Rng) -> String {
    if rng.chance(85) {
        return (*rng.pick(STRINGS)).to_owned();
    }
    const PIECES: &[&str] = &[
        "a", "Z", "-", "_", ".", "/", "0", "9", " ", "é", "ß", "中", "😀", "%", "\"",
    ];
    (0..rng.range(1, 12)).map(|_| *rng.pick(PIECES)).collect()
}

/// A number: mostly from [`NUMBERS`], sometimes a random integer or fraction.
pub fn number(rng: &mut Rng) -> f64 {
    match rng.below(10) {
        0..=5 => *rng.pick(NUMBERS),
        6 | 7 => rng.range(-1000, 100_000) as f64,
        8 => (rng.unit() - 0.5) * 1e4,
        _ => rng.range(i64::MIN / 2, i64::MAX / 2) as f64,
    }
}

/// A JSON number value; `f64`s that are whole stay whole when printed.
pub fn number_value(rng: &mut Rng) -> Value {
    json!(number(rng))
}

/// A scalar: string, number, boolean or null.
pub fn scalar(rng: &mut Rng) -> Value {
    match rng.below(20) {
        0..=8 => Value::String(string(rng)),
        9..=14 => number_value(rng),
        15..=17 => Value::Bool(rng.chance(50)),
        _ => Value::Null,
    }
}

/// Any value, nesting at most `depth` levels of arrays and objects.
pub fn value(rng: &mut Rng, depth: u32) -> Value {
    if depth == 0 {
        return scalar(rng);
    }
    match rng.below(10) {
        0..=5 => scalar(rng),
        6 | 7 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect()),
        _ => Value::Object(object(rng, depth - 1, 4)),
    }
}

/// An object of up to `max_keys` keys (mostly plain ones), values nesting `depth` levels.
pub fn object(rng: &mut Rng, depth: u32, max_keys: usize) -> Map<String, Value> {
    let mut map = Map::new();
    for _ in 0..rng.below(max_keys + 1) {
        map.insert(key(rng), value(rng, depth));
    }
    map
}

/// A key: mostly plain, sometimes odd.
pub fn key(rng: &mut Rng) -> String {
    if rng.chance(85) {
        (*rng.pick(KEYS)).to_owned()
    } else {
        (*rng.pick(ODD_KEYS)).to_owned()
    }
}

/// `parent` extended by `key`, in one of the spellings Crossplane's field paths accept: `.key`,
/// or `[key]` (also quoted) when the key needs it or by chance.
pub fn join(rng: &mut Rng, parent: &str, key: &str) -> String {
    let needs_brackets = key.contains('.');
    if needs_brackets || rng.chance(5) {
        match rng.below(4) {
            0 => format!("{parent}['{key}']"),
            1 => format!("{parent}[\"{key}\"]"),
            _ => format!("{parent}[{key}]"),
        }
    } else if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Every node below `root` (not `root` itself) as a field path under `prefix`, with its value.
pub fn nodes(rng: &mut Rng, root: &Value, prefix: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    collect(rng, root, prefix, &mut out);
    out
}

fn collect(rng: &mut Rng, node: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                if key.contains(['[', ']']) {
                    continue;
                }
                let child_path = join(rng, path, key);
                out.push((child_path.clone(), child.clone()));
                collect(rng, child, &child_path, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let child_path = format!("{path}[{index}]");
                out.push((child_path.clone(), child.clone()));
                collect(rng, child, &child_path, out);
            }
        }
        _ => {}
    }
}

/// Field paths that are missing, read through the wrong type, or malformed, built on `nodes`.
pub fn bad_path(rng: &mut Rng, nodes: &[(String, Value)]) -> String {
    let base = if nodes.is_empty() {
        "spec".to_owned()
    } else {
        rng.pick(nodes).0.clone()
    };
    match rng.below(12) {
        0 => format!("{base}.missing"),
        1 => format!("{base}[7]"),
        2 => format!("{base}[0].x"),
        3 => "spec.doesNotExist".to_owned(),
        4 => "status.nothing.here".to_owned(),
        5 => format!("{base}[*]"),
        6 => format!("{base}..x"),
        7 => format!("{base}["),
        8 => format!("{base}]"),
        9 => format!(".{base}"),
        10 => format!("{base}[]"),
        _ => String::new(),
    }
}

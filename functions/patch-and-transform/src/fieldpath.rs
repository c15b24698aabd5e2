//! Crossplane field paths (`crossplane-runtime` `pkg/fieldpath`): parsing, reading, writing and
//! wildcard expansion, with upstream's error texts.
//!
//! Syntax: dots between fields, `[N]` for array indexes, `[key]` (quotes around the key are
//! trimmed) for keys with dots or slashes. A bracketed segment is an index when it parses as a
//! `u32`, otherwise a key. `[*]` is a wildcard only where paths are expanded (`toFieldPath`);
//! everywhere else it is the literal key `*`.
//!
//! The module is public so that a fuzz target can call [`parse`] on arbitrary text and print the
//! result back with [`Segments`]' `Display`; the composition code reaches it from inside the crate.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Writes to an index above this fail, as upstream's `DefaultMaxFieldPathIndex`, so that a
/// path like `a[4000000000]` cannot allocate gigabytes.
const MAX_INDEX: u32 = 1024;

/// The wildcard key.
const WILDCARD: &str = "*";

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Field(String),
    /// An array index.
    Index(u32),
}

/// A parsed path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segments(pub Vec<Segment>);

impl fmt::Display for Segments {
    /// Upstream's canonical form: `a.b[0][c.d]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Field(field) if field == WILDCARD || field.contains('.') => {
                    write!(f, "[{field}]")?;
                }
                Segment::Field(field) if i == 0 => f.write_str(field)?,
                Segment::Field(field) => write!(f, ".{field}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

fn field(text: &str) -> Segment {
    Segment::Field(text.trim_matches(['\'', '"']).to_owned())
}

fn field_or_index(text: &str) -> Segment {
    // Go's strconv.ParseUint(s, 10, 32): ASCII digits only, no sign.
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(index) = text.parse::<u32>()
    {
        return Segment::Index(index);
    }
    field(text)
}

/// Parses `path` as upstream's lexer does, with its messages (`unexpected '.' at position 0`).
///
/// # Errors
/// A syntax error naming the byte position.
pub fn parse(path: &str) -> Result<Segments> {
    let bytes = path.as_bytes();
    let mut segments = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    let fail = |pos: usize, what: &str| Err(Error::new(format!("{what} at position {pos}")));
    loop {
        // Field state: up to the next '.', '[' or the end.
        let Some(offset) = bytes[pos..]
            .iter()
            .position(|b| matches!(b, b'.' | b'[' | b']'))
        else {
            if start < bytes.len() {
                segments.push(field(&path[start..]));
            }
            return Ok(Segments(segments));
        };
        pos += offset;
        match bytes[pos] {
            b']' => return fail(pos, "unexpected ']'"),
            b'.' => {
                if pos > start {
                    segments.push(field(&path[start..pos]));
                }
                if pos == 0 || pos == bytes.len() - 1 {
                    return fail(pos, "unexpected '.'");
                }
                pos += 1;
                start = pos;
                match bytes[pos] {
                    b'.' => return fail(pos, "unexpected '.'"),
                    b'[' => return fail(pos, "unexpected '['"),
                    _ => {}
                }
            }
            _ => {
                // '[': a field or an index up to the next ']'.
                if pos > start {
                    segments.push(field(&path[start..pos]));
                }
                let Some(close) = path[pos..].find(']') else {
                    return fail(pos, "unterminated '['");
                };
                pos += 1;
                let close = pos + close - 1;
                if close == pos {
                    return fail(pos, "unexpected ']'");
                }
                if let Some(open) = path[pos..close].find('[') {
                    return fail(pos + open, "unexpected '['");
                }
                segments.push(field_or_index(&path[pos..close]));
                pos = close + 1;
                start = pos;
            }
        }
    }
}

/// The prefix `segments[..end]` as upstream prints it in messages.
fn prefix(segments: &[Segment], end: usize) -> Segments {
    Segments(segments[..end].to_vec())
}

/// Reads `segments` from `root`; see [`get`].
pub fn get_segments<'a>(root: &'a Map<String, Value>, segments: &[Segment]) -> Result<&'a Value> {
    let mut current: Option<&Value> = None;
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Index(index) => {
                let Some(Value::Array(array)) = current else {
                    return Err(Error::new(format!("{}: not an array", prefix(segments, i))));
                };
                match usize::try_from(*index).ok().and_then(|i| array.get(i)) {
                    Some(value) => current = Some(value),
                    None => {
                        return Err(Error::not_found(format!(
                            "{}: no such element",
                            prefix(segments, i + 1)
                        )));
                    }
                }
            }
            Segment::Field(name) => {
                let object = match current {
                    None => root,
                    Some(Value::Object(object)) => object,
                    Some(Value::Null) => {
                        return Err(Error::not_found(format!(
                            "{}: expected map, got nil",
                            prefix(segments, i)
                        )));
                    }
                    Some(_) => {
                        return Err(Error::new(format!(
                            "{}: not an object",
                            prefix(segments, i)
                        )));
                    }
                };
                match object.get(name) {
                    Some(value) => current = Some(value),
                    None => {
                        return Err(Error::not_found(format!(
                            "{}: no such field",
                            prefix(segments, i + 1)
                        )));
                    }
                }
            }
        }
    }
    Ok(current.unwrap_or(&Value::Null))
}

/// Reads `path` from `root`: upstream's `Paved.GetValue`. The empty path reads `null`.
///
/// # Errors
/// "no such field", "no such element" and "expected map, got nil" are
/// [not found](Error::is_not_found); "not an array", "not an object" and syntax errors
/// (`cannot parse path "a..b": ...`) are not.
pub fn get<'a>(root: &'a Map<String, Value>, path: &str) -> Result<&'a Value> {
    let segments = parse(path).map_err(|e| e.wrap(format!("cannot parse path {path:?}")))?;
    get_segments(root, &segments.0)
}

/// Writes `value` at `segments` in `root`, creating objects and arrays on the way and growing
/// arrays with nulls: upstream's `Paved.setValue`.
///
/// # Errors
/// An index above 1024, or a value of another type in the way (`spec.a is not an object`).
pub fn set_segments(
    root: &mut Map<String, Value>,
    segments: &[Segment],
    value: Value,
) -> Result<()> {
    if let Some(index) = segments.iter().find_map(|s| match s {
        Segment::Index(i) if *i > MAX_INDEX => Some(*i),
        _ => None,
    }) {
        return Err(Error::new(format!(
            "index {index} is greater than max allowed index {MAX_INDEX}"
        )));
    }
    let Some((first, rest)) = segments.split_first() else {
        return Ok(());
    };
    let Segment::Field(name) = first else {
        return Err(Error::new(" is not an array"));
    };
    if rest.is_empty() {
        root.insert(name.clone(), value);
        return Ok(());
    }
    if !root.contains_key(name) {
        root.insert(name.clone(), container_for(&rest[0]));
    }
    let slot = root
        .get_mut(name)
        .expect("the key was just checked or inserted");
    grow(slot, &rest[0]);
    set_in(slot, segments, 1, value)
}

/// A fresh container for the segment that follows.
fn container_for(next: &Segment) -> Value {
    match next {
        Segment::Index(index) => Value::Array(vec![Value::Null; *index as usize + 1]),
        Segment::Field(_) => Value::Object(Map::new()),
    }
}

/// Grows an existing array so that the next index fits (upstream's `prepareField` and
/// `prepareElement` for existing values).
fn grow(slot: &mut Value, next: &Segment) {
    if let (Value::Array(array), Segment::Index(index)) = (slot, next) {
        let wanted = *index as usize + 1;
        if array.len() < wanted {
            array.resize(wanted, Value::Null);
        }
    }
}

fn set_in(current: &mut Value, segments: &[Segment], i: usize, value: Value) -> Result<()> {
    let is_final = i == segments.len() - 1;
    match &segments[i] {
        Segment::Index(index) => {
            let Value::Array(array) = current else {
                return Err(Error::new(format!(
                    "{} is not an array",
                    prefix(segments, i)
                )));
            };
            let slot = &mut array[*index as usize];
            if is_final {
                *slot = value;
                return Ok(());
            }
            // Upstream replaces a null element, but not a null field, with a new container.
            if slot.is_null() {
                *slot = container_for(&segments[i + 1]);
            } else {
                grow(slot, &segments[i + 1]);
            }
            set_in(slot, segments, i + 1, value)
        }
        Segment::Field(name) => {
            let Value::Object(object) = current else {
                return Err(Error::new(format!(
                    "{} is not an object",
                    prefix(segments, i)
                )));
            };
            if is_final {
                object.insert(name.clone(), value);
                return Ok(());
            }
            if !object.contains_key(name) {
                object.insert(name.clone(), container_for(&segments[i + 1]));
            }
            let slot = object
                .get_mut(name)
                .expect("the key was just checked or inserted");
            grow(slot, &segments[i + 1]);
            set_in(slot, segments, i + 1, value)
        }
    }
}

/// Expands each `[*]` in `path` over the array elements or object keys found in `root`, keeping
/// only expansions whose full path exists: upstream's `Paved.ExpandWildcards`. Object keys
/// expand in sorted order.
///
/// # Errors
/// A syntax error; a wildcard over `null` (not found); a wildcard over a scalar.
pub fn expand_wildcards(root: &Map<String, Value>, path: &str) -> Result<Vec<Segments>> {
    let segments = parse(path).map_err(|e| e.wrap(format!("cannot parse path {path:?}")))?;
    let mut out = Vec::new();
    expand(root, segments.0.clone(), &mut out).map_err(|e| {
        e.wrap(format!(
            "cannot expand wildcards for segments: {:?}",
            segments.to_string()
        ))
    })?;
    Ok(out)
}

fn expand(
    root: &Map<String, Value>,
    segments: Vec<Segment>,
    out: &mut Vec<Segments>,
) -> Result<()> {
    for i in 0..segments.len() {
        if segments[i] == Segment::Field(WILDCARD.to_owned()) {
            let parent = if i == 0 {
                Kind::Object(root.keys().cloned().collect())
            } else {
                match get_segments(root, &segments[..i]) {
                    Ok(value) => Kind::of(value),
                    Err(_) => return Ok(()),
                }
            };
            let replacements: Vec<Segment> = match parent {
                Kind::Array(len) => (0..len).map(|ix| field_or_index(&ix.to_string())).collect(),
                Kind::Object(keys) => keys.into_iter().map(Segment::Field).collect(),
                Kind::Null => {
                    return Err(Error::not_found(format!(
                        "wildcard field {:?} is not found in the path",
                        prefix(&segments, i).to_string()
                    )));
                }
                Kind::Scalar => {
                    return Err(Error::new(format!(
                        "{:?}: unexpected wildcard usage",
                        prefix(&segments, i).to_string()
                    )));
                }
            };
            for replacement in replacements {
                // A key named `*` prints as the wildcard again: upstream expands it until its
                // stack overflows and the process dies.
                if replacement == Segment::Field(WILDCARD.to_owned()) {
                    return Err(Error::new(format!(
                        "{:?}: its key \"*\" is the wildcard itself and would expand forever; rename the key",
                        prefix(&segments, i).to_string()
                    )));
                }
                let mut expanded = segments.clone();
                expanded[i] = replacement;
                let shown = Segments(expanded.clone()).to_string();
                expand(root, expanded, out)
                    .map_err(|e| e.wrap(format!("{shown:?}: cannot expand wildcards")))?;
            }
            return Ok(());
        }
        match get_segments(root, &segments[..=i]) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    out.push(Segments(segments));
    Ok(())
}

/// What a wildcard expands over.
enum Kind {
    Array(usize),
    Object(Vec<String>),
    Null,
    Scalar,
}

impl Kind {
    fn of(value: &Value) -> Kind {
        match value {
            Value::Array(array) => Kind::Array(array.len()),
            Value::Object(object) => Kind::Object(object.keys().cloned().collect()),
            Value::Null => Kind::Null,
            _ => Kind::Scalar,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tests::object;

    fn f(s: &str) -> Segment {
        Segment::Field(s.to_owned())
    }

    #[test]
    fn parses_fields_indexes_and_keys() {
        assert_eq!(
            parse("metadata.annotations[crossplane.io/external-name]")
                .unwrap()
                .0,
            vec![
                f("metadata"),
                f("annotations"),
                f("crossplane.io/external-name")
            ]
        );
        assert_eq!(
            parse("spec.list[0][8].a[\"b.c\"]['d']").unwrap().0,
            vec![
                f("spec"),
                f("list"),
                Segment::Index(0),
                Segment::Index(8),
                f("a"),
                f("b.c"),
                f("d")
            ]
        );
        assert_eq!(parse("a[*]").unwrap().0, vec![f("a"), f("*")]);
        assert_eq!(parse("a[-1]").unwrap().0, vec![f("a"), f("-1")]);
        assert_eq!(
            parse("a[4294967296]").unwrap().0,
            vec![f("a"), f("4294967296")]
        );
        assert_eq!(parse("").unwrap().0, vec![]);
    }

    #[test]
    fn syntax_errors_name_the_position() {
        for (path, message) in [
            (".a", "unexpected '.' at position 0"),
            ("a.", "unexpected '.' at position 1"),
            ("a..b", "unexpected '.' at position 2"),
            ("a.[0]", "unexpected '[' at position 2"),
            ("a[0", "unterminated '[' at position 1"),
            ("a[]", "unexpected ']' at position 2"),
            ("a]", "unexpected ']' at position 1"),
            ("a[[0]]", "unexpected '[' at position 2"),
        ] {
            assert_eq!(parse(path).unwrap_err().to_string(), message, "{path}");
        }
    }

    #[test]
    fn prints_canonical_paths() {
        let segments = parse("a.b[0]['c.d'][*]").unwrap();
        assert_eq!(segments.to_string(), "a.b[0][c.d][*]");
    }

    #[test]
    fn get_reports_not_found_and_type_errors() {
        let root = object(json!({"spec": {"s": "x", "n": null, "l": [1]}}));
        assert_eq!(get(&root, "spec.l[0]").unwrap(), &json!(1));
        let cases = [
            ("spec.missing", "spec.missing: no such field", true),
            ("spec.l[3]", "spec.l[3]: no such element", true),
            ("spec.n.a", "spec.n: expected map, got nil", true),
            ("spec.s[0]", "spec.s: not an array", false),
            ("spec.s.a", "spec.s: not an object", false),
            ("spec.n[0]", "spec.n: not an array", false),
            (
                "a..b",
                "cannot parse path \"a..b\": unexpected '.' at position 2",
                false,
            ),
        ];
        for (path, message, is_not_found) in cases {
            let error = get(&root, path).unwrap_err();
            assert_eq!(error.to_string(), message);
            assert_eq!(error.is_not_found(), is_not_found, "{path}");
        }
    }

    #[test]
    fn set_creates_and_grows() {
        let mut root = object(json!({"spec": {"l": [1]}}));
        set_segments(&mut root, &parse("spec.l[2].a").unwrap().0, json!("x")).unwrap();
        set_segments(&mut root, &parse("spec.new[1][0]").unwrap().0, json!(true)).unwrap();
        assert_eq!(
            Value::Object(root),
            json!({"spec": {"l": [1, null, {"a": "x"}], "new": [null, [true]]}})
        );
    }

    #[test]
    fn set_reports_types_in_the_way_and_big_indexes() {
        let mut root = object(json!({"spec": {"s": "x", "n": null}}));
        let error = |root: &mut Map<String, Value>, path: &str| {
            set_segments(root, &parse(path).unwrap().0, json!(1))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error(&mut root, "spec.s.a"), "spec.s is not an object");
        assert_eq!(error(&mut root, "spec.s[0]"), "spec.s is not an array");
        assert_eq!(error(&mut root, "spec.n[0]"), "spec.n is not an array");
        assert_eq!(
            error(&mut root, "a[1025]"),
            "index 1025 is greater than max allowed index 1024"
        );
    }

    #[test]
    fn wildcards_expand_only_to_existing_paths() {
        let root = object(
            json!({"refs": [{"name": ""}, {"name": "", "x": 1}, {}], "m": {"b": {"x": 1}, "a": {"x": 2}}}),
        );
        let paths = |path| {
            expand_wildcards(&root, path)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(paths("refs[*].name"), ["refs[0].name", "refs[1].name"]);
        assert_eq!(paths("refs[*].x"), ["refs[1].x"]);
        assert_eq!(paths("m[*].x"), ["m.a.x", "m.b.x"]);
        assert!(paths("refs[*].bad").is_empty());
        assert!(paths("missing[*]").is_empty());
    }

    #[test]
    fn a_key_named_like_the_wildcard_is_an_error_not_an_endless_expansion() {
        let root = json!({"spec": {"*": [], "a": 1}});
        let Value::Object(root) = root else {
            unreachable!()
        };
        assert_eq!(
            expand_wildcards(&root, "spec[*]").unwrap_err().to_string(),
            "cannot expand wildcards for segments: \"spec[*]\": \"spec\": its key \"*\" is the \
             wildcard itself and would expand forever; rename the key"
        );
    }

    #[test]
    fn wildcard_over_null_is_not_found_and_over_a_scalar_is_an_error() {
        let root = object(json!({"n": null, "s": "x"}));
        let error = expand_wildcards(&root, "n[*].a").unwrap_err();
        assert!(error.is_not_found());
        assert_eq!(
            error.to_string(),
            "cannot expand wildcards for segments: \"n[*].a\": wildcard field \"n\" is not found in the path"
        );
        let error = expand_wildcards(&root, "s[*]").unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot expand wildcards for segments: \"s[*]\": \"s\": unexpected wildcard usage"
        );
    }
}

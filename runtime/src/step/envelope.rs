//! The parts of `RunFunctionRequest` and `RunFunctionResponse` a step handles itself, read and
//! written on the wire: the tag, the step's Input, the state a failure hands back unchanged, and
//! the response's meta and results.

use std::borrow::Cow;
use std::time::Duration;

use crate::transcode::{
    Malformed, Reader, WireType, WireValue, begin_len, end_len, put_duration, put_len_field,
    put_tag, put_varint,
};

/// `RunFunctionRequest` field numbers.
mod request {
    pub const META: u32 = 1;
    pub const DESIRED: u32 = 3;
    pub const INPUT: u32 = 4;
    pub const CONTEXT: u32 = 5;
}

/// `RunFunctionResponse` field numbers.
mod response {
    pub const META: u32 = 1;
    pub const DESIRED: u32 = 2;
    pub const RESULTS: u32 = 3;
    pub const CONTEXT: u32 = 4;
}

/// `RequestMeta.tag` and `ResponseMeta.tag`.
const META_TAG: u32 = 1;
/// `ResponseMeta.ttl`.
const META_TTL: u32 = 2;
/// `Result.severity`, `Result.message`.
const RESULT_SEVERITY: u32 = 1;
const RESULT_MESSAGE: u32 = 2;

/// `Severity` values a step writes or looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    Fatal = 1,
    Warning = 2,
}

/// What a step reads from a request before running its module.
#[derive(Debug, Default)]
pub(crate) struct Request<'a> {
    /// `meta.tag`, echoed in the response.
    pub tag: &'a str,
    /// The encoded `input` Struct: the step's Input. Occurrences of a field split on the wire are
    /// joined, which merges them as protobuf does.
    pub input: Option<Cow<'a, [u8]>>,
    /// Every occurrence of `desired`, written back as they came when the step fails.
    pub desired: Vec<&'a [u8]>,
    /// Every occurrence of `context`, likewise.
    pub context: Vec<&'a [u8]>,
}

/// Reads the tag, the Input and the state to hand back from an encoded `RunFunctionRequest`.
///
/// # Errors
/// [`Malformed`] when the top level or `meta` is not protobuf; deeper levels are the
/// transcoder's to check.
pub(crate) fn read_request(bytes: &[u8]) -> Result<Request<'_>, Malformed> {
    let mut request = Request::default();
    let mut reader = Reader::new(bytes);
    while let Some(field) = reader.next_field()? {
        let number = field.number;
        let WireValue::Len(value) = field.value else {
            if matches!(
                number,
                request::META | request::DESIRED | request::INPUT | request::CONTEXT
            ) {
                return Err(Malformed::WrongWireType {
                    number,
                    found: field.value.wire_type(),
                    expected: WireType::Len,
                });
            }
            continue;
        };
        match number {
            request::META => {
                if let Some(tag) = last_len_field(value, META_TAG)? {
                    request.tag = std::str::from_utf8(tag).map_err(|_| Malformed::NotUtf8)?;
                }
            }
            request::DESIRED => request.desired.push(value),
            request::CONTEXT => request.context.push(value),
            request::INPUT => {
                request.input = Some(match request.input.take() {
                    None => Cow::Borrowed(value),
                    Some(earlier) => Cow::Owned([&earlier[..], value].concat()),
                });
            }
            _ => {}
        }
    }
    Ok(request)
}

/// The last value of length-delimited field `number` in `message`.
fn last_len_field(message: &[u8], number: u32) -> Result<Option<&[u8]>, Malformed> {
    let mut reader = Reader::new(message);
    let mut last = None;
    while let Some(field) = reader.next_field()? {
        if field.number == number {
            match field.value {
                WireValue::Len(value) => last = Some(value),
                other => {
                    return Err(Malformed::WrongWireType {
                        number,
                        found: other.wire_type(),
                        expected: WireType::Len,
                    });
                }
            }
        }
    }
    Ok(last)
}

/// A response ready to send, and what the metrics want to know of it.
#[derive(Debug)]
pub(crate) struct Response {
    /// The encoded `RunFunctionResponse`.
    pub bytes: Vec<u8>,
    /// Whether a result has `SEVERITY_FATAL`.
    pub has_fatal: bool,
}

impl Response {
    /// Appends a result (results keep the order in which they appear on the wire).
    pub fn push_result(&mut self, severity: Severity, message: &str) {
        put_result(&mut self.bytes, severity, message);
        self.has_fatal |= severity == Severity::Fatal;
    }
}

/// Completes a module's encoded response: `meta.tag` is the request's, `meta.ttl` the module's
/// or else `ttl`; `desired` and `context` are the request's when the module left them out, so a
/// module that returns only results loses nothing. The module's bytes are reused in place.
///
/// # Errors
/// [`Malformed`] when `module` is not protobuf (the transcoder wrote it, so only a bug would).
pub(crate) fn complete_response(
    mut module: Vec<u8>,
    request: &Request<'_>,
    ttl: Duration,
) -> Result<Response, Malformed> {
    let mut module_ttl = None;
    let mut metas = Vec::new();
    let (mut has_desired, mut has_context, mut has_fatal) = (false, false, false);
    let mut reader = Reader::new(&module);
    let mut start = 0;
    while let Some(field) = reader.next_field()? {
        match (field.number, field.value) {
            (response::META, WireValue::Len(meta)) => {
                if let Some(ttl) = last_len_field(meta, META_TTL)? {
                    module_ttl = Some(ttl.to_vec());
                }
                metas.push(start..reader.position());
            }
            (response::DESIRED, _) => has_desired = true,
            (response::CONTEXT, _) => has_context = true,
            (response::RESULTS, WireValue::Len(result)) => has_fatal |= is_fatal(result)?,
            _ => {}
        }
        start = reader.position();
    }
    // The module's meta gives way to one the step writes (fields may come in any order).
    for span in metas.into_iter().rev() {
        module.drain(span);
    }
    write_meta(&mut module, request.tag, module_ttl.as_deref(), ttl);
    if !has_desired {
        for desired in &request.desired {
            put_len_field(&mut module, response::DESIRED, desired);
        }
    }
    if !has_context {
        for context in &request.context {
            put_len_field(&mut module, response::CONTEXT, context);
        }
    }
    Ok(Response {
        bytes: module,
        has_fatal,
    })
}

/// A response that fails the step: one FATAL result with `message`, and the request's desired
/// state and context unchanged.
pub(crate) fn failure_response(request: &Request<'_>, ttl: Duration, message: &str) -> Response {
    let mut response = Response {
        bytes: Vec::with_capacity(
            request
                .desired
                .iter()
                .chain(&request.context)
                .map(|b| b.len() + 6)
                .sum::<usize>()
                + message.len()
                + 64,
        ),
        has_fatal: false,
    };
    write_meta(&mut response.bytes, request.tag, None, ttl);
    for desired in &request.desired {
        put_len_field(&mut response.bytes, response::DESIRED, desired);
    }
    for context in &request.context {
        put_len_field(&mut response.bytes, response::CONTEXT, context);
    }
    response.push_result(Severity::Fatal, message);
    response
}

fn is_fatal(result: &[u8]) -> Result<bool, Malformed> {
    let mut reader = Reader::new(result);
    let mut severity = 0;
    while let Some(field) = reader.next_field()? {
        if let (RESULT_SEVERITY, WireValue::Varint(value)) = (field.number, field.value) {
            severity = value;
        }
    }
    Ok(severity == Severity::Fatal as u64)
}

fn write_meta(out: &mut Vec<u8>, tag: &str, module_ttl: Option<&[u8]>, ttl: Duration) {
    let meta = begin_len(out, response::META);
    if !tag.is_empty() {
        put_len_field(out, META_TAG, tag.as_bytes());
    }
    match module_ttl {
        Some(duration) => put_len_field(out, META_TTL, duration),
        None => {
            let seconds = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
            // Below a billion, so the cast is exact.
            let nanos = ttl.subsec_nanos() as i32;
            put_duration(out, META_TTL, seconds, nanos);
        }
    }
    end_len(out, meta);
}

fn put_result(out: &mut Vec<u8>, severity: Severity, message: &str) {
    let result = begin_len(out, response::RESULTS);
    put_tag(out, RESULT_SEVERITY, WireType::Varint);
    put_varint(out, severity as u64);
    if !message.is_empty() {
        put_len_field(out, RESULT_MESSAGE, message.as_bytes());
    }
    end_len(out, result);
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use xfn_proto::pbjson_types::{self, Struct};
    use xfn_proto::v1::{
        RequestMeta, ResponseMeta, Result as StepResult, RunFunctionRequest, RunFunctionResponse,
        State,
    };

    use super::*;

    fn structure(json: serde_json::Value) -> Struct {
        serde_json::from_value(json).expect("test JSON is an object")
    }

    fn request() -> RunFunctionRequest {
        RunFunctionRequest {
            meta: Some(RequestMeta {
                tag: "tag-1".into(),
                capabilities: vec![1],
            }),
            desired: Some(State {
                composite: None,
                resources: [("a".to_owned(), Default::default())].into(),
            }),
            input: Some(structure(serde_json::json!({"kind": "Module"}))),
            context: Some(structure(serde_json::json!({"k": "v"}))),
            ..RunFunctionRequest::default()
        }
    }

    #[test]
    fn the_request_gives_its_tag_input_and_state() {
        let bytes = request().encode_to_vec();
        let read = read_request(&bytes).unwrap();
        assert_eq!(read.tag, "tag-1");
        assert_eq!(
            Struct::decode(read.input.as_deref().unwrap()).unwrap(),
            request().input.unwrap()
        );
        assert_eq!(read.desired.len(), 1);
        assert_eq!(read.context.len(), 1);
        assert_eq!(
            read_request(&[0x0a, 0x02, 0x08, 0x01]).unwrap_err(),
            Malformed::WrongWireType {
                number: 1,
                found: WireType::Varint,
                expected: WireType::Len
            }
        );
    }

    #[test]
    fn the_module_response_gets_the_request_tag_and_keeps_its_own_ttl_and_state() {
        let bytes = request().encode_to_vec();
        let read = read_request(&bytes).unwrap();
        let module = RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: "the module's".into(),
                ttl: Some(pbjson_types::Duration {
                    seconds: 5,
                    nanos: 0,
                }),
            }),
            context: Some(Struct::default()),
            results: vec![StepResult {
                severity: 1,
                ..StepResult::default()
            }],
            ..RunFunctionResponse::default()
        };
        let response =
            complete_response(module.encode_to_vec(), &read, Duration::from_secs(60)).unwrap();
        assert!(response.has_fatal);
        let decoded = RunFunctionResponse::decode(response.bytes.as_slice()).unwrap();
        assert_eq!(
            decoded.meta,
            Some(ResponseMeta {
                tag: "tag-1".into(),
                ttl: Some(pbjson_types::Duration {
                    seconds: 5,
                    nanos: 0
                })
            })
        );
        assert_eq!(
            decoded.desired,
            request().desired,
            "left out by the module, so the request's"
        );
        assert_eq!(
            decoded.context,
            Some(Struct::default()),
            "the module's, even empty"
        );
    }

    #[test]
    fn a_failure_hands_back_desired_and_context_with_one_fatal_result() {
        let bytes = request().encode_to_vec();
        let read = read_request(&bytes).unwrap();
        let mut response =
            failure_response(&read, Duration::from_millis(1500), "module \"x\": trapped");
        response.push_result(Severity::Warning, "big");
        assert!(response.has_fatal);
        let decoded = RunFunctionResponse::decode(response.bytes.as_slice()).unwrap();
        let expected = RunFunctionResponse {
            meta: Some(ResponseMeta {
                tag: "tag-1".into(),
                ttl: Some(pbjson_types::Duration {
                    seconds: 1,
                    nanos: 500_000_000,
                }),
            }),
            desired: request().desired,
            context: request().context,
            results: vec![
                StepResult {
                    severity: 1,
                    message: "module \"x\": trapped".into(),
                    ..StepResult::default()
                },
                StepResult {
                    severity: 2,
                    message: "big".into(),
                    ..StepResult::default()
                },
            ],
            ..RunFunctionResponse::default()
        };
        assert_eq!(decoded, expected);
    }
}

//! Protobuf wire bytes ⇄ protojson, in one pass each way, driven by the protocol's descriptors.
//!
//! A module reads its request as protojson and writes its response as protojson (docs/ABI.md);
//! Crossplane speaks protobuf. [`Transcoder`] converts between the two without building the
//! messages in memory: no prost `Struct`, no `serde_json::Value`, no per-field map. One walk of
//! the request's wire bytes writes the module's JSON (with the step's `config` spliced in as its
//! `input`), and one streaming parse of the module's JSON writes the response's wire bytes.
//!
//! Numbers are written as Go's protojson writes them, so a module sees what a Go function would:
//! `3`, not `3.0`; `1152921504606847000`; `1e+21`. A `google.protobuf.Value` holding NaN or an
//! infinity, which JSON cannot carry, is an error naming its field path. The walk agrees with
//! prost + pbjson on every message both accept (property tests in `transcode/tests.rs`).

mod decode;
mod encode;
mod json;
mod schema;
#[cfg(test)]
mod tests;
mod wire;

use xfn_proto::v1::RunFunctionRequest;

pub use decode::MAX_DEPTH;
use decode::{Decoder, Failure, Replace};
use schema::{MessageId, Schema};
pub use wire::{Malformed, WireType};
pub(crate) use wire::{
    Reader, Value as WireValue, begin_len, end_len, put_duration, put_len_field, put_tag,
    put_varint,
};

/// Why bytes could not be transcoded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not protobuf of the expected message.
    #[error("{path}: {problem}")]
    Malformed {
        /// Where in the message, e.g. `desired.resources.db.resource`.
        path: String,
        /// What is wrong.
        problem: Malformed,
    },
    /// Not protobuf of the expected message, found by the decoder that canonicalises odd input.
    #[error("{0}")]
    Decode(prost::DecodeError),
    /// A `google.protobuf.Value` holds a NaN or an infinity, which JSON cannot.
    #[error(
        "{path}: {value} is not a JSON number; a google.protobuf.Value holds only finite numbers, so the function that wrote it must write a string or a finite number"
    )]
    NotFinite {
        /// The field path of the value.
        path: String,
        /// The value.
        value: f64,
    },
    /// Messages and objects nest deeper than [`MAX_DEPTH`].
    #[error("{path}: nested deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// Where the limit was reached.
        path: String,
    },
    /// JSON that is not protojson of the expected message, with its line and column.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Results of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Converts `RunFunction` messages between protobuf wire bytes and protojson.
#[derive(Debug)]
pub struct Transcoder {
    schema: Schema,
    request: MessageId,
    response: MessageId,
}

/// The field number of `RunFunctionRequest.input`.
const REQUEST_INPUT: u32 = 4;

impl Default for Transcoder {
    fn default() -> Self {
        Transcoder::new()
    }
}

impl Transcoder {
    /// A transcoder for the messages of `apiextensions.fn.proto.v1` (v1beta1 is wire-identical).
    pub fn new() -> Transcoder {
        let schema = Schema::from_descriptor_set(xfn_proto::FILE_DESCRIPTOR_SET).expect(
            "the compiled-in protocol descriptors use only supported types (a unit test checks)",
        );
        let id = |name| {
            schema
                .message_id(name)
                .expect("the protocol defines its messages")
        };
        Transcoder {
            request: id("apiextensions.fn.proto.v1.RunFunctionRequest"),
            response: id("apiextensions.fn.proto.v1.RunFunctionResponse"),
            schema,
        }
    }

    /// The protojson a module reads: `request` (wire bytes of a `RunFunctionRequest`) with its
    /// `input` replaced by `input` (JSON), or left out when `input` is `None`.
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::Decode`] when `request` is not a `RunFunctionRequest`;
    /// [`Error::NotFinite`] and [`Error::TooDeep`] name the field path at fault.
    pub fn request_json(&self, request: &[u8], input: Option<&[u8]>) -> Result<Vec<u8>> {
        let replace = Replace {
            number: REQUEST_INPUT,
            name: "input",
            json: input,
        };
        walk_canonical::<RunFunctionRequest>(request, |bytes| {
            Decoder::message(&self.schema, self.request, bytes, Some(replace))
        })
    }

    /// The JSON object of an encoded `google.protobuf.Struct`; error paths start with `root`.
    ///
    /// # Errors
    /// As [`Transcoder::request_json`].
    pub fn struct_json(&self, bytes: &[u8], root: &str) -> Result<Vec<u8>> {
        walk_canonical::<xfn_proto::pbjson_types::Struct>(bytes, |bytes| {
            Decoder::structure(&self.schema, bytes, root)
        })
    }

    /// The wire bytes of the `RunFunctionResponse` a module wrote as protojson.
    ///
    /// # Errors
    /// [`Error::Json`] with the line and column of the first problem: not JSON, nested deeper than
    /// 128 levels, an unknown field, a field given twice, a wrong type, an unknown enum name.
    pub fn response_wire(&self, json: &[u8]) -> Result<Vec<u8>> {
        Ok(encode::message(&self.schema, self.response, json)?)
    }
}

/// Runs `walk` on `bytes`; when they are valid protobuf that no encoder writes (a field split or
/// given twice), lets prost apply protobuf's merge rules as an `M` and walks its encoding instead.
fn walk_canonical<M: prost::Message + Default>(
    bytes: &[u8],
    walk: impl Fn(&[u8]) -> Result<Vec<u8>, Failure>,
) -> Result<Vec<u8>> {
    match walk(bytes) {
        Err(Failure::NonCanonical) => {
            let canonical = M::decode(bytes).map_err(Error::Decode)?.encode_to_vec();
            walk(&canonical).map_err(Error::from)
        }
        other => other.map_err(Error::from),
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Malformed { path, problem } => Error::Malformed { path, problem },
            Failure::NotFinite { path, value } => Error::NotFinite { path, value },
            Failure::TooDeep { path } => Error::TooDeep { path },
            // Only reachable if prost's own encoding were not canonical.
            Failure::NonCanonical => Error::Malformed {
                path: String::new(),
                problem: Malformed::Unmergeable,
            },
        }
    }
}

//! `patch-and-transform`: a function-wasmtime module compatible with
//! [function-patch-and-transform](https://github.com/crossplane-contrib/function-patch-and-transform).
//!
//! Its config (the request's `input`) is a `pt.fn.crossplane.io/v1beta1 Resources` object. A
//! call follows upstream's order:
//!
//! 1. decode and validate the input; problems are fatal and name the field path;
//! 2. inline PatchSets and read the Composition environment from the context key
//!    `apiextensions.crossplane.io/environment`;
//! 3. run `environment.patches`;
//! 4. render each resource template in order: start from `base` or the desired resource an
//!    earlier step produced; for an observed resource copy its name and namespace, extract
//!    connection details and check readiness; run the patches;
//! 5. compose a connection `Secret` for Crossplane v2 XRs;
//! 6. return the desired XR and composed resources and the environment.
//!
//! # Layers
//!
//! Each line uses only the lines below it: no module imports one above it or beside it (a unit
//! test reads this table and checks every `crate::` path against it).
//!
//! ```text
//! compose                              one call, in upstream's order
//! connection, readiness                what observed resources give: connection details, readiness
//! patches                              the patch types and policies, PatchSets
//! transforms, merge                    values through transforms; writes with merge options
//! validate                             upstream's validation, over the input types
//! input                                the Resources types, decoded as upstream decodes them
//! fieldpath                            Crossplane field paths
//! gofmt, goscan, gojson                Go's fmt.Sprintf, json.Unmarshal, the JSON decoder's checks
//! value                                JSON values as Go values (int64, float64, NaN), json.Marshal
//! gostrconv, goregex, quantity, error  Go's strconv and regexp, Kubernetes quantities, errors
//! ```
//!
//! Everything builds natively too (`crate-type = ["cdylib", "rlib"]`), so [`compose()`] runs in
//! unit tests and benchmarks without a host. [`fieldpath`] is public too, for the fuzz target
//! that feeds its parser arbitrary paths. The module's README lists where upstream behaves
//! surprisingly and this module does the same.

mod compose;
mod connection;
mod error;
pub mod fieldpath;
mod gofmt;
mod gojson;
mod goregex;
mod goscan;
mod gostrconv;
mod input;
mod merge;
mod patches;
mod quantity;
mod readiness;
mod transforms;
mod validate;
mod value;

#[cfg(test)]
mod layers;
#[cfg(test)]
mod tests;

pub use compose::{ENVIRONMENT_KEY, compose};
pub use error::Error;

xfn_sdk::export!(compose);

//! Topics of the end-to-end suite.

mod crd;
mod examples;
mod failures;
mod grpc;
mod hello;
mod sources;
mod tls;

//! Topics of the end-to-end suite.

mod auto_ready;
mod crd;
mod differential_auto_ready;
mod differential_pt;
mod dummy;
mod examples;
mod failures;
mod grpc;
mod hello;
mod metrics;
mod package;
mod pt_conformance;
mod pt_smoke;
mod render;
mod sources;
mod tls;

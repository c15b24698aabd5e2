//! Topics of the end-to-end suite.

mod auto_ready;
mod crd;
mod dummy;
mod examples;
mod failures;
mod grpc;
mod hello;
mod metrics;
mod numbers;
mod package;
mod pt_conformance;
mod pt_smoke;
mod render;
mod render_upstream;
mod responses;
mod scripted;
mod sources;
mod tls;

//! Topics of the end-to-end suite.

mod authoring;
mod auto_ready;
mod compile;
mod crd;
mod cwasm;
mod differential_auto_ready;
mod differential_pt;
mod dummy;
mod examples;
mod failures;
mod grpc;
mod hello;
mod load;
mod metrics;
mod numbers;
mod overload;
mod package;
mod pt_conformance;
mod pt_smoke;
mod render;
mod render_upstream;
mod responses;
mod sandbox;
mod scripted;
mod sources;
mod tls;

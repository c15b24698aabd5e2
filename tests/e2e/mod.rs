//! Topics of the end-to-end suite.

mod authoring;
mod auto_ready;
mod compile;
mod components;
mod crd;
mod cwasm;
mod dummy;
mod examples;
mod failures;
mod grpc;
mod hello;
mod languages;
mod load;
mod metrics;
mod numbers;
mod overload;
mod package;
mod pt_conformance;
mod pt_smoke;
mod render;
mod responses;
mod sandbox;
mod scaffold;
mod sources;
mod tls;

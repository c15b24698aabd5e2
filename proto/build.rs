//! Generates the Rust code for `fn/v1` and `fn/v1beta1` without a system `protoc`.
//!
//! `protox` parses the `.proto` files (it ships the google well-known types) into one
//! FileDescriptorSet. From that set, `prost-build` generates the message types, `pbjson-build`
//! their proto3-JSON serde impls, and with the `grpc` feature `tonic-prost-build` the client
//! and server for `FunctionRunnerService`.

use std::env;
use std::error::Error;
use std::fs;
use std::path::PathBuf;

/// The `.proto` files, relative to the crate root (which is also the include path).
const PROTOS: [&str; 2] = ["fn/v1/run_function.proto", "fn/v1beta1/run_function.proto"];

/// The protobuf packages to generate serde impls for; the google types come from `pbjson-types`.
const PACKAGES: [&str; 2] = [
    ".apiextensions.fn.proto.v1",
    ".apiextensions.fn.proto.v1beta1",
];

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={}", root.join(proto).display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    // Source info carries the .proto comments into the generated docs (and to reflection clients).
    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files(PROTOS)?;
    let descriptor_bytes = compiler.encode_file_descriptor_set();
    fs::write(out_dir.join("file_descriptor_set.bin"), &descriptor_bytes)?;

    let mut config = prost_build::Config::new();
    config
        .compile_well_known_types()
        .extern_path(".google.protobuf", "::pbjson_types");
    // Cargo compiles the build script with the package's features, so this cfg is the
    // CARGO_FEATURE_GRPC check; it also keeps tonic-prost-build an optional build dependency.
    #[cfg(feature = "grpc")]
    config.service_generator(tonic_prost_build::configure().service_generator());
    config.compile_fds(compiler.file_descriptor_set())?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .build(&PACKAGES)?;
    Ok(())
}

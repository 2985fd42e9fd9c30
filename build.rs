//! Build-time generation: the served OpenAPI document is `api/openapi.json`, minified, with
//! its content hash as the spec version (`X-AxisSynapse-Spec-Version`, ETag); and the
//! curated AAGUID catalog compiled from `data/aaguids.json`.

use sha2::{Digest, Sha256};
use std::{env, fs, path::Path};

#[allow(dead_code)]
#[path = "src/attestation_policy/catalog.rs"]
mod catalog;

fn main() {
    openapi();
    aaguid_catalog();
}

/// `data/aaguids.json` (provenance in `data/README.md`) → `OUT_DIR/aaguid_catalog.rs`.
fn aaguid_catalog() {
    println!("cargo:rerun-if-changed=data/aaguids.json");
    println!("cargo:rerun-if-changed=src/attestation_policy/catalog.rs");
    let json = fs::read_to_string("data/aaguids.json").expect("data/aaguids.json is readable");
    let source = catalog::catalog_rust_source(&json).unwrap_or_else(|e| panic!("data/aaguids.json: {e}"));
    let out = env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    fs::write(Path::new(&out).join("aaguid_catalog.rs"), source).expect("writes aaguid_catalog.rs");
}

fn openapi() {
    println!("cargo:rerun-if-changed=api/openapi.json");
    let source = fs::read_to_string("api/openapi.json").expect("api/openapi.json is readable");
    let doc: serde_json::Value = serde_json::from_str(&source).expect("api/openapi.json is valid JSON");
    let minified = serde_json::to_string(&doc).expect("serialises");
    let digest = Sha256::digest(minified.as_bytes());
    let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let out = env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    fs::write(Path::new(&out).join("openapi.min.json"), minified).expect("writes openapi.min.json");
    let generated = format!(
        "/// Content hash of the served OpenAPI document.\npub const SPEC_VERSION: &str = \"{version}\";\n\
         /// The served OpenAPI document (minified `api/openapi.json`).\npub static OPENAPI_JSON: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/openapi.min.json\"));\n"
    );
    fs::write(Path::new(&out).join("openapi_gen.rs"), generated).expect("writes openapi_gen.rs");
}

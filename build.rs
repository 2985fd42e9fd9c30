//! Build-time generation: the served OpenAPI document is `api/openapi.json`, minified, with
//! its content hash as the spec version (`X-AxisSynapse-Spec-Version`, ETag).

use sha2::{Digest, Sha256};
use std::{env, fs, path::Path};

fn main() {
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

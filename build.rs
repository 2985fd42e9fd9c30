//! Build-time generation: the served OpenAPI document is `api/openapi.json`, minified, with
//! its content hash as the spec version (`X-AxisSynapse-Spec-Version`, ETag); and the
//! curated AAGUID catalog compiled from `data/aaguids.json`; and the admin portal's assets
//! (every file of `assets/portal/`, with a content-hash ETag) plus `errors.json`, the meaning
//! and fix of each error code from `api/error-codes.md`, and the meaning of each SAML sign-in check.

use sha2::{Digest, Sha256};
use std::{env, fs, path::Path};

#[allow(dead_code)]
#[path = "src/attestation_policy/catalog.rs"]
mod catalog;

fn main() {
    openapi();
    aaguid_catalog();
    portal_assets();
}

/// `assets/portal/*` and `errors.json` → `OUT_DIR/portal_assets.rs`: a table of
/// `Asset { name, content_type, etag, body }` the worker serves under `/portal/assets/`.
fn portal_assets() {
    println!("cargo:rerun-if-changed=assets/portal");
    println!("cargo:rerun-if-changed=api/error-codes.md");
    let out = env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    let errors = error_fixes(&fs::read_to_string("api/error-codes.md").expect("api/error-codes.md is readable"));
    let errors_path = Path::new(&out).join("portal_errors.json");
    fs::write(&errors_path, errors).expect("writes portal_errors.json");
    let mut files: Vec<(String, std::path::PathBuf)> = fs::read_dir("assets/portal")
        .expect("assets/portal is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().and_then(|n| n.to_str()).expect("a UTF-8 name").to_string(), p))
        .collect();
    files.push(("errors.json".to_string(), errors_path));
    files.sort();
    let mut table = String::from("pub const ASSETS: &[Asset] = &[\n");
    for (name, path) in files {
        let body = fs::read(&path).expect("a readable asset");
        let digest = Sha256::digest(&body);
        let etag: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let content_type = match name.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("json") => "application/json",
            Some("svg") => "image/svg+xml",
            other => panic!("assets/portal/{name}: no content type for {other:?}"),
        };
        let absolute = fs::canonicalize(&path).expect("an asset path");
        table.push_str(&format!(
            "    Asset {{ name: {name:?}, content_type: {content_type:?}, etag: \"\\\"{etag}\\\"\", body: include_str!({absolute:?}) }},\n"
        ));
    }
    table.push_str("];\n");
    fs::write(Path::new(&out).join("portal_assets.rs"), table).expect("writes portal_assets.rs");
}

/// `{"CODE": {"status": 401, "meaning": "…", "fix": "…"}, "checks": {"check": "…"}}` from the
/// table rows of `api/error-codes.md` (`| status | CODE | meaning. Fix: fix |`, and the SAML
/// sign-in checks `| \`check\` | CODE | meaning |`).
fn error_fixes(markdown: &str) -> String {
    let mut codes = serde_json::Map::new();
    let mut checks = serde_json::Map::new();
    for line in markdown.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        let [status, code, text] = cells.as_slice() else { continue };
        if let Some(check) = status.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            checks.insert(check.to_string(), serde_json::json!(text));
            continue;
        }
        let Ok(status) = status.parse::<u16>() else { continue };
        let (meaning, fix) = text.split_once(" Fix: ").unwrap_or((text, ""));
        codes.insert(code.to_string(), serde_json::json!({"status": status, "meaning": meaning, "fix": fix}));
    }
    assert!(codes.len() > 50, "api/error-codes.md: only {} codes parsed", codes.len());
    assert!(checks.len() > 50, "api/error-codes.md: only {} SAML checks parsed", checks.len());
    codes.insert("checks".to_string(), serde_json::Value::Object(checks));
    serde_json::to_string(&codes).expect("serialises")
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

//! Public discovery documents: the OpenAPI description (with a content-hash version header and
//! ETag revalidation), the webhook event catalog generated from the audit action table, and the
//! public keys of the audit checkpoints.

use crate::edge::http::{Body, Ctx, Reply};

include!(concat!(env!("OUT_DIR"), "/openapi_gen.rs"));

pub fn openapi(cx: &Ctx) -> Reply {
    let etag = format!("\"{SPEC_VERSION}\"");
    let fresh = crate::scim::etag::not_modified(cx.header("if-none-match").as_deref(), SPEC_VERSION);
    let reply = if fresh {
        Reply { status: 304, headers: Vec::new(), body: Body::Empty }
    } else {
        Reply { status: 200, headers: Vec::new(), body: Body::Text(OPENAPI_JSON.to_string()) }
            .header("content-type", "application/json")
    };
    reply
        .header("x-axissynapse-spec-version", SPEC_VERSION)
        .header("etag", etag)
        .header("cache-control", "public, max-age=300, must-revalidate")
}

pub fn events() -> Reply {
    Reply::json(crate::audit::actions::catalog()).header("cache-control", "public, max-age=300")
}

/// The audit checkpoint keys (JWKS, RFC 8037 `OKP`/`Ed25519`): every signing key's public
/// half and every retired key, each with its validity window.
pub fn audit_keys(cx: &Ctx) -> crate::error::ApiResult<Reply> {
    let ring = crate::edge::config::audit_keyring(&cx.env)?;
    Ok(Reply::json(ring.jwks()).header("cache-control", "public, max-age=300"))
}

pub fn step_up_purposes() -> Reply {
    Reply::json(crate::stepup::purposes::catalog()).header("cache-control", "public, max-age=300")
}

//! The admin portal (`/portal`, `/portal/{page}`): plain HTML, CSS and JavaScript modules
//! compiled into the worker (`assets/portal/`, tabled by `build.rs`) and served from the API's
//! own origin, so the portal's calls are same-origin and pass the API's cookie and CSRF rules
//! as they are. Every page is the same shell; `app.js` routes on the path.
//!
//! Headers: a Content-Security-Policy that allows scripts, styles and connections from this
//! origin only (no inline script or style, no `eval`, no third-party origin) and
//! `frame-ancestors 'none'`; `nosniff`; no referrer. Assets carry a content-hash ETag.

use crate::edge::http::{Body, Ctx, Reply};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// One file served under `/portal/assets/`.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    /// A quoted content hash.
    pub etag: &'static str,
    pub body: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/portal_assets.rs"));

/// The portal's pages: `/portal` is the sign-in page.
pub const PAGES: &[&str] =
    &["signin", "security", "audit", "users", "saml", "scim", "network", "attestation", "webhooks"];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn secured(reply: Reply) -> Reply {
    reply
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
}

fn asset_named(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// `GET /portal` and `GET /portal/{page}`: the shell, for a known page.
pub fn page(page: Option<&str>) -> ApiResult<Reply> {
    if page.is_some_and(|p| !PAGES.contains(&p)) {
        return Err(ApiError::with_reason(ErrorCode::NotFound, format!("the portal has no page {page:?}")));
    }
    html("index.html")
}

/// An HTML asset as a page of its own, with the portal's headers.
fn html(name: &str) -> ApiResult<Reply> {
    let page = asset_named(name).ok_or_else(|| ApiError::new(ErrorCode::InternalError))?;
    let reply = Reply { status: 200, headers: Vec::new(), body: Body::Text(page.body.to_string()) }
        .header("content-type", page.content_type)
        .header("cache-control", "no-store");
    Ok(secured(reply))
}

/// `GET /portal/assets/{file}`, revalidated by ETag.
pub fn asset(cx: &Ctx, name: &str) -> ApiResult<Reply> {
    let asset = asset_named(name)
        .ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, format!("the portal has no asset {name:?}")))?;
    let fresh = cx.header("if-none-match").is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag));
    let reply = if fresh {
        Reply { status: 304, headers: Vec::new(), body: Body::Empty }
    } else {
        Reply { status: 200, headers: Vec::new(), body: Body::Text(asset.body.to_string()) }
            .header("content-type", asset.content_type)
    };
    Ok(secured(reply.header("etag", asset.etag).header("cache-control", "no-cache")))
}

/// The page the ACS answers at the end of an admin's test sign-in (in the popup the SSO page
/// opened): the portal's headers, and its script tells the opener the verdict is ready.
pub fn saml_test_done() -> ApiResult<Reply> {
    html("saml-test.html")
}

/// `GET /account/security`: the old test page's address, now the portal's security page.
pub fn security_redirect() -> Reply {
    Reply { status: 308, headers: Vec::new(), body: Body::Empty }.header("location", "/portal/security")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_scripts_and_styles_are_all_served_assets() {
        let shell = asset_named("index.html").expect("index.html").body;
        for reference in shell.split("/portal/assets/").skip(1) {
            let name = reference.split('"').next().unwrap_or_default();
            assert!(asset_named(name).is_some(), "index.html references {name}, which is not an asset");
        }
        assert!(!shell.contains("<script>") && !shell.contains("style="), "no inline script or style");
    }

    #[test]
    fn errors_json_names_every_code_with_its_fix() {
        let errors: serde_json::Value =
            serde_json::from_str(asset_named("errors.json").expect("errors.json").body).unwrap();
        assert_eq!(errors["STEP_UP_REQUIRED"]["status"], 401);
        assert!(errors["ACCOUNT_LOCKED"]["fix"].as_str().is_some_and(|f| f.contains("Retry-After")));
        assert!(errors["checks"]["audience_mismatch"].as_str().is_some_and(|m| m.contains("spEntityId")), "{errors}");
    }
}

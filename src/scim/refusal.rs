//! Refused SCIM writes in the audit ledger (`SCIM_REQUEST_REFUSED`): which requests get a row
//! and what the row holds. Only writes (POST, PUT, PATCH and DELETE of Users and Groups, and
//! Bulk) are recorded: reads and searches are an identity provider's polling, and a row per
//! failed read would flood the ledger. The per-token rate limit runs before the handler, so a
//! client that keeps failing is bounded by it, and the limit's own refusals are not recorded.

use serde_json::{json, Value};

use crate::routes::{Op, SCIM_PREFIX};

/// Longest `reason` a row keeps, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// Whether a refused request of `op` gets a ledger row.
pub fn audited(op: Op) -> bool {
    matches!(
        op,
        Op::ScimUserCreate
            | Op::ScimUserReplace
            | Op::ScimUserPatch
            | Op::ScimUserDelete
            | Op::ScimGroupCreate
            | Op::ScimGroupReplace
            | Op::ScimGroupPatch
            | Op::ScimGroupDelete
            | Op::ScimBulk
    )
}

/// A refused SCIM request, as the edge saw it.
#[derive(Debug, Clone, Copy)]
pub struct Refusal<'a> {
    pub method: &'a str,
    /// The request path (with or without the `/api/scim/v2` prefix).
    pub path: &'a str,
    pub status: u16,
    pub code: &'a str,
    pub reason: Option<&'a str>,
}

/// The row's `data`: `{"method", "path" (under /api/scim/v2), "status", "code", "reason"}`. The
/// reason is cut to [`MAX_REASON_CHARS`], and left out (`null`) for a server fault, whose
/// details are for the operator's logs, not the tenant's ledger.
pub fn data(r: &Refusal<'_>) -> Value {
    let reason =
        r.reason.filter(|_| r.status < 500).map(|text| text.chars().take(MAX_REASON_CHARS).collect::<String>());
    json!({
        "method": r.method,
        "path": r.path.strip_prefix(SCIM_PREFIX).unwrap_or(r.path),
        "status": r.status,
        "code": r.code,
        "reason": reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::ROUTES;

    fn refusal(status: u16, reason: Option<&str>) -> Refusal<'_> {
        Refusal { method: "PATCH", path: "/api/scim/v2/Users/u_1", status, code: "SCIM_INVALID_PATH", reason }
    }

    #[test]
    fn every_scim_write_is_audited_and_no_read_or_search() {
        for route in ROUTES.iter().filter(|r| r.path.starts_with(SCIM_PREFIX)) {
            let search = route.path.ends_with(".search");
            let write = route.method != "GET" && !search;
            assert_eq!(audited(route.op), write, "{} {}", route.method, route.path);
        }
        assert!(!audited(Op::ScimTokenCreate), "not a SCIM request");
    }

    #[test]
    fn data_names_the_request_under_the_scim_prefix() {
        let row = data(&refusal(400, Some("path: unknown attribute")));
        assert_eq!(
            row,
            json!({"method": "PATCH", "path": "/Users/u_1", "status": 400, "code": "SCIM_INVALID_PATH",
                   "reason": "path: unknown attribute"})
        );
    }

    #[test]
    fn data_cuts_a_long_reason_on_a_character_boundary() {
        let long = "é".repeat(MAX_REASON_CHARS + 50);
        let row = data(&refusal(409, Some(&long)));
        assert_eq!(row["reason"].as_str().map(|r| r.chars().count()), Some(MAX_REASON_CHARS));
    }

    #[test]
    fn data_leaves_out_the_reason_of_a_server_fault() {
        assert_eq!(data(&refusal(500, Some("D1 batch: disk I/O error")))["reason"], Value::Null);
        assert_eq!(data(&refusal(412, None))["reason"], Value::Null);
    }
}

//! End-to-end tests over HTTP against the real worker under `wrangler dev` (local D1 and
//! Durable Objects). Run through `make test`, which starts the worker and seeds fixtures.

mod common;

#[path = "e2e/audit.rs"]
mod audit;
#[path = "e2e/audit_checkpoints.rs"]
mod audit_checkpoints;
#[path = "e2e/auth.rs"]
mod auth;
#[path = "e2e/contract.rs"]
mod contract;
#[path = "e2e/input.rs"]
mod input;
#[path = "e2e/invitations.rs"]
mod invitations;
#[path = "e2e/isolation.rs"]
mod isolation;
#[path = "e2e/moves.rs"]
mod moves;
#[path = "e2e/netpolicy.rs"]
mod netpolicy;
#[path = "e2e/netpolicy_whatif.rs"]
mod netpolicy_whatif;
#[path = "e2e/ratelimit.rs"]
mod ratelimit;
#[path = "e2e/saml.rs"]
mod saml;
#[path = "e2e/scim.rs"]
mod scim;
#[path = "e2e/scim_bulk.rs"]
mod scim_bulk;
#[path = "e2e/scim_etag.rs"]
mod scim_etag;
#[path = "e2e/scim_sort.rs"]
mod scim_sort;
#[path = "e2e/scim_summary.rs"]
mod scim_summary;
#[path = "e2e/scim_vendors.rs"]
mod scim_vendors;
#[path = "e2e/sessions.rs"]
mod sessions;
#[path = "e2e/stepup.rs"]
mod stepup;
#[path = "e2e/storage.rs"]
mod storage;
#[path = "e2e/tokens.rs"]
mod tokens;
#[path = "e2e/webhooks.rs"]
mod webhooks;

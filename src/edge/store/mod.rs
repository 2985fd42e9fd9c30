//! D1 repositories, one per aggregate. Every query names the workspace it reads (or looks up
//! a globally unique key and then checks the workspace), so tenant isolation is structural.

pub mod attestation;
pub mod checkpoints;
pub mod credentials;
pub mod directory;
pub mod invitations;
pub mod ledger;
pub mod mfa;
pub mod netpolicy;
pub mod probe;
pub mod relocation;
pub mod saml;
pub mod scim;
pub mod session_index;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod workspaces;

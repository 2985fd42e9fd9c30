//! The audit ledger: hash-chained rows ([`ledger`]), the audit-log query filters and keyset
//! cursor ([`query`]), the CSV (RFC 4180) / NDJSON export encodings ([`export`]), Ed25519-signed
//! checkpoints of a chain head ([`checkpoint`]) and the keys that sign them ([`signing_keys`]) and the offline verifier of an NDJSON export
//! against them ([`verify_export`]).

pub mod actions;
pub mod checkpoint;
pub mod export;
pub mod ledger;
pub mod query;
pub mod signing_keys;
pub mod verify_export;

//! The audit ledger: hash-chained rows ([`ledger`]), the audit-log query filters and keyset
//! cursor ([`query`]), the CSV (RFC 4180) / NDJSON export encodings ([`export`]), Ed25519-signed
//! checkpoints of a chain head ([`checkpoint`]), the keys that sign them ([`signing_keys`]),
//! and the offline verifier of an NDJSON or CSV export against them ([`verify_export`],
//! [`csv_read`]).

pub mod actions;
pub mod checkpoint;
pub mod csv_read;
pub mod export;
pub mod ledger;
pub mod query;
pub mod signing_keys;
pub mod verify_export;

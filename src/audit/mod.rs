//! The audit ledger: hash-chained rows ([`ledger`]), the audit-log query filters and keyset
//! cursor ([`query`]) and the CSV (RFC 4180) / NDJSON export encodings ([`export`]).

pub mod actions;
pub mod export;
pub mod ledger;
pub mod query;

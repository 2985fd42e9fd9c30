//! Audit ledger e2e tests (being written).

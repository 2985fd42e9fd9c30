//! The SCIM filter language (RFC 7644 §3.4.2.2), also inside PATCH paths' brackets: parsing and
//! type-checking against the schema (`parse`), in-memory evaluation on served resources
//! (`eval`) and compilation to a SQLite (D1) `WHERE` expression (`sql`).
//!
//! `eval` and `sql` implement one set of semantics, written down in `eval`'s header; the
//! oracle test in `sql` checks on random users and filters that SQLite returns exactly the
//! resources the evaluator matches (or, when `SqlFilter::exact` is false, a superset of them).

pub mod ast;
pub mod eval;
pub mod parse;
pub mod sql;

pub use ast::{CompareOp, Filter, FilterError, Literal, Path};
pub use eval::{element_matches, matches};
pub use parse::{parse, parse_value_filter, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS};
pub use sql::{compile, SqlFilter, SqlParam};

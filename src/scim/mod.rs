//! SCIM 2.0 (RFC 7643 core schema, RFC 7644 protocol): the pure core. Schemas, the filter
//! language, PATCH, resource mapping; nothing here touches the `worker` crate.

pub mod anchors;
pub mod bulk;
pub mod canonical;
pub mod error;
pub mod etag;
pub mod filter;
pub mod patch;
pub mod path;
pub mod refusal;
pub mod resource;
pub mod schema;
pub mod sort;
pub mod write;

//! Step-up authentication core: the closed purpose set (`purposes`), single-use step-up tokens
//! (`token`), RFC 6238 TOTP (`totp`) and one-time recovery codes (`backup_codes`), sharing
//! the constant-time compare and SHA-256 hex helpers of [`crate::session`].

pub mod backup_codes;
pub mod purposes;
pub mod token;
pub mod totp;

pub use crate::session::{ct_eq, sha256_hex};
pub use purposes::{Factor, Purpose};

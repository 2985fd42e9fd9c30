//! Opaque bearer credentials: personal access tokens (`pat_…`) and SCIM tokens (`scim_…`),
//! sent as `Authorization: Bearer` (RFC 6750 §2.1). Format, fixed length:
//!
//! `<prefix>_<id: 14 lowercase hex>_<secret: base64url, no padding (RFC 4648 §5), 43 chars>`
//!
//! The id names the token for listing and revocation: the workspace's shard as two hex digits
//! (`crate::tenancy`), then 6 random bytes. The secret is 32 random bytes. Only the lowercase hex SHA-256 (FIPS 180-4) of the whole token is stored.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::tenancy::Shard;

const ID_LEN: usize = 14;
const SECRET_LEN: usize = 43;
/// Length after the prefix: id, `_`, secret.
const BODY_LEN: usize = ID_LEN + 1 + SECRET_LEN;
/// Longest token of any kind (`scim_` + body); longer input is refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 5 + BODY_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Pat,
    Scim,
}

impl TokenKind {
    /// The token prefix, including its trailing `_`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Pat => "pat_",
            Self::Scim => "scim_",
        }
    }
}

/// A freshly minted token: show `token` once, store `id`, `hash` and `hint`.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    pub kind: TokenKind,
    pub id: String,
    pub token: String,
    pub hash: String,
    /// Last 4 characters of the token, for listings.
    pub hint: String,
}

impl fmt::Debug for MintedToken {
    /// Never prints the token itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("hash", &self.hash)
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Length { len: usize },
    UnknownPrefix,
    Id,
    Separator,
    Secret,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { len } => write!(f, "token length {len} does not fit its kind"),
            Self::UnknownPrefix => f.write_str("token prefix is neither `pat_` nor `scim_`"),
            Self::Id => f.write_str("token id is not 14 lowercase hex characters"),
            Self::Separator => f.write_str("token id is not followed by `_`"),
            Self::Secret => f.write_str("token secret is not 43 base64url characters (32 bytes)"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Mints a token for a workspace on `shard` from 38 caller-supplied random bytes: 6 for the
/// id, 32 for the secret.
pub fn mint(kind: TokenKind, shard: Shard, random: &[u8; 38]) -> MintedToken {
    let [i0, i1, i2, i3, i4, i5, secret @ ..] = random;
    let id = format!("{}{}", shard.tag(), hex(&[*i0, *i1, *i2, *i3, *i4, *i5]));
    let secret = URL_SAFE_NO_PAD.encode(secret);
    let token = format!("{}{id}_{secret}", kind.prefix());
    let hint = secret.get(SECRET_LEN - 4..).unwrap_or_default().to_owned();
    MintedToken { kind, hash: hash(&token), id, token, hint }
}

/// Strictly parses a presented token, returning its kind and id (for the lookup by id).
pub fn parse(token: &str) -> Result<(TokenKind, &str), TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Length { len: token.len() });
    }
    let (kind, body) = split_prefix(token)?;
    if body.len() != BODY_LEN {
        return Err(TokenError::Length { len: token.len() });
    }
    let (id, rest) = body.split_at_checked(ID_LEN).ok_or(TokenError::Id)?;
    if !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(TokenError::Id);
    }
    let secret = rest.strip_prefix('_').ok_or(TokenError::Separator)?;
    check_secret(secret)?;
    Ok((kind, id))
}

fn split_prefix(token: &str) -> Result<(TokenKind, &str), TokenError> {
    [TokenKind::Pat, TokenKind::Scim]
        .into_iter()
        .find_map(|kind| token.strip_prefix(kind.prefix()).map(|body| (kind, body)))
        .ok_or(TokenError::UnknownPrefix)
}

/// 43 base64url characters that decode canonically (zero trailing bits) to 32 bytes.
fn check_secret(secret: &str) -> Result<(), TokenError> {
    match URL_SAFE_NO_PAD.decode(secret) {
        Ok(bytes) if secret.len() == SECRET_LEN && bytes.len() == 32 => Ok(()),
        _ => Err(TokenError::Secret),
    }
}

/// Lowercase hex SHA-256 of the whole token string: the only form that is stored.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `token` hashes to `stored_hash_hex` (lowercase), compared in constant time.
pub fn matches(token: &str, stored_hash_hex: &str) -> bool {
    super::ct_eq(hash(token).as_bytes(), stored_hash_hex.as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random bytes 0x00, 0x01, .., 0x25 on shard 3: id = 03 03000102030405, secret = bytes 06..25.
    fn counting_random() -> [u8; 38] {
        std::array::from_fn(|i| i as u8)
    }

    const COUNTING_PAT: &str = "pat_03000102030405_BgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCU";

    #[test]
    fn counting_random_mints_known_pat() {
        let minted = mint(TokenKind::Pat, Shard(3), &counting_random());
        assert_eq!(minted.token, COUNTING_PAT);
        assert_eq!(minted.id, "03000102030405");
        assert_eq!(minted.hint, "jJCU");
        assert_eq!(minted.hash, hash(COUNTING_PAT));
        assert_eq!(minted.hash.len(), 64);
        assert!(!format!("{minted:?}").contains(COUNTING_PAT));
    }

    #[test]
    fn counting_random_mints_scim_that_parses() {
        let minted = mint(TokenKind::Scim, Shard(3), &counting_random());
        assert!(minted.token.starts_with("scim_03000102030405_"));
        assert_eq!(minted.token.len(), MAX_TOKEN_LEN);
        assert_eq!(parse(&minted.token), Ok((TokenKind::Scim, "03000102030405")));
    }

    #[test]
    fn all_ff_random_secret_of_underscores_parses() {
        let minted = mint(TokenKind::Pat, Shard(0xff), &[0xff; 38]);
        assert_eq!(minted.token, format!("pat_ffffffffffffff_{}8", "_".repeat(42)));
        assert_eq!(parse(&minted.token), Ok((TokenKind::Pat, "ffffffffffffff")));
    }

    /// SHA-256("abc") from FIPS 180-2 Appendix B.1.
    #[test]
    fn fips180_abc_hash() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn counting_pat_matches_only_its_hash() {
        let stored = hash(COUNTING_PAT);
        assert!(matches(COUNTING_PAT, &stored));
        assert!(!matches(COUNTING_PAT, &stored.to_uppercase()));
        assert!(!matches(&COUNTING_PAT.replace("JCU", "JCV"), &stored));
        assert!(!matches(COUNTING_PAT, ""));
    }

    #[test]
    fn counting_pat_variants_rejected_each_with_own_error() {
        let secret = "BgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCU";
        let cases = [
            (format!("{COUNTING_PAT}x"), TokenError::Length { len: 63 }),
            (format!("scim_03000102030405_{secret}xx"), TokenError::Length { len: 65 }),
            (COUNTING_PAT[..61].to_owned(), TokenError::Length { len: 61 }),
            (String::new(), TokenError::UnknownPrefix),
            (format!("tok_03000102030405_{secret}"), TokenError::UnknownPrefix),
            (format!("PAT_03000102030405_{secret}"), TokenError::UnknownPrefix),
            (format!("pat_0300010203040A_{secret}"), TokenError::Id),
            (format!("pat_0300010203040g_{secret}"), TokenError::Id),
            (format!("pat_0300010203040é_{}", &secret[..42]), TokenError::Id),
            (format!("pat_030001020304é_{secret}"), TokenError::Id),
            (format!("pat_03000102030405-{secret}"), TokenError::Separator),
            (format!("pat_03000102030405_{}+", &secret[..42]), TokenError::Secret),
            (format!("pat_03000102030405_{}V", &secret[..42]), TokenError::Secret),
        ];
        for (token, expected) in cases {
            assert_eq!(parse(&token), Err(expected), "{token}");
        }
    }

    #[test]
    fn prefixes() {
        assert_eq!(TokenKind::Pat.prefix(), "pat_");
        assert_eq!(TokenKind::Scim.prefix(), "scim_");
    }
}

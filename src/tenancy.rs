//! Tenant shards: which D1 database holds a workspace, and how the credentials and ids a
//! workspace hands out carry it, so a request finds its database without asking the directory.
//!
//! A shard is a number `0..=255`, bound as `DB_SHARD_<n>`; it travels as two lowercase hex
//! digits at the front of a token id (PAT, SCIM token), of an invitation token's body and of a
//! sign-in's `mfaToken`, and as the `shd` claim of the session cookie. A number whose binding is
//! missing, or a shard that does not hold the credential, reads as an unknown credential (401).

use std::fmt;

use crate::session::tokens::TokenKind;

/// One tenant database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Shard(pub u8);

/// Length of a shard's tag in an id.
pub const TAG_LEN: usize = 2;

impl Shard {
    /// The `wrangler.toml` D1 binding of this shard.
    pub fn binding(self) -> String {
        format!("DB_SHARD_{}", self.0)
    }

    /// The two-hex-digit tag that leads ids minted on this shard.
    pub fn tag(self) -> String {
        format!("{:02x}", self.0)
    }

    /// The shard named by the first two characters of `id`: lowercase hex only.
    pub fn of_tagged(id: &str) -> Option<Self> {
        let tag = id.get(..TAG_LEN)?;
        if !tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        u8::from_str_radix(tag, 16).ok().map(Self)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shard {}", self.0)
    }
}

/// How a query names the workspace it reads: by id, or as the workspace of a live token found
/// by the SHA-256 of the whole token. The second lets a read share one D1 batch (one round trip)
/// with the token check while seeing nothing unless the token is real and unrevoked; the caller
/// still checks the token row (constant-time hash, expiry, standing) before using the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceRef<'a> {
    Id(&'a str),
    OfToken { kind: TokenKind, hash: &'a str },
}

impl WorkspaceRef<'_> {
    /// The SQL expression for the workspace id, given the placeholder bound to [`Self::value`].
    pub fn sql(&self, placeholder: &str) -> String {
        match self {
            Self::Id(_) => placeholder.to_string(),
            Self::OfToken { kind, .. } => format!(
                "(SELECT wt.workspace_id FROM api_tokens wt WHERE wt.token_hash = {placeholder} \
                 AND wt.kind = '{}' AND wt.revoked_at IS NULL)",
                match kind {
                    TokenKind::Pat => "pat",
                    TokenKind::Scim => "scim",
                }
            ),
        }
    }

    /// What the placeholder binds: the workspace id or the token hash.
    pub fn value(&self) -> &str {
        match self {
            Self::Id(id) => id,
            Self::OfToken { hash, .. } => hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_for_every_shard() {
        for n in 0..=255u8 {
            let s = Shard(n);
            assert_eq!(Shard::of_tagged(&format!("{}rest", s.tag())), Some(s));
        }
    }

    #[test]
    fn tags_are_lowercase_hex_and_two_long() {
        for bad in ["", "0", "0G", "0A", "+1", " 1", "é1"] {
            assert_eq!(Shard::of_tagged(bad), None, "{bad:?}");
        }
        assert_eq!(Shard::of_tagged("0a"), Some(Shard(10)));
        assert_eq!(Shard(3).binding(), "DB_SHARD_3");
    }

    #[test]
    fn a_token_scope_selects_the_workspace_of_a_live_token_of_its_kind() {
        let by_id = WorkspaceRef::Id("ws_1");
        assert_eq!((by_id.sql("?4"), by_id.value()), ("?4".to_string(), "ws_1"));
        let scim = WorkspaceRef::OfToken { kind: TokenKind::Scim, hash: "abc" };
        assert_eq!(scim.value(), "abc");
        let sql = scim.sql("?1");
        for part in ["wt.token_hash = ?1", "wt.kind = 'scim'", "wt.revoked_at IS NULL"] {
            assert!(sql.contains(part), "{sql}");
        }
        assert!(WorkspaceRef::OfToken { kind: TokenKind::Pat, hash: "h" }.sql("?2").contains("'pat'"));
    }
}

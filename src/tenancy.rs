//! Tenant shards: which D1 database holds a workspace, and how the credentials and ids a
//! workspace hands out carry it, so a request finds its database without asking the directory.
//!
//! A shard is a number `0..=255`, bound as `DB_SHARD_<n>`; it travels as two lowercase hex
//! digits at the front of a token id (PAT, SCIM token), of an invitation token's body and of a
//! sign-in's `mfaToken`, and as the `shd` claim of the session cookie. A number whose binding is
//! missing, or a shard that does not hold the credential, reads as an unknown credential (401).

use std::fmt;

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
}

//! Password hashing: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) and its stored form, a PHC-style
//! string (PHC string format, `$id$param=value$salt$hash`, B64 = standard alphabet, no padding):
//!
//! `$pbkdf2-sha256$i=100000$<16-byte salt>$<32-byte hash>`
//!
//! At the edge the derivation runs in Web Crypto (`crypto.subtle.deriveBits`, capped at
//! 100,000 iterations on Cloudflare Workers) and only [`parse`] and [`PasswordHash::matches`]
//! are used; the pure-Rust [`pbkdf2_sha256`] is the reference, for seeding and host tests.
//! Passwords are hashed as their raw UTF-8 bytes, without Unicode normalization, so the Web
//! Crypto side must feed `TextEncoder` output of the same string.

use std::fmt;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Iterations for new hashes: the most Workers' `deriveBits` accepts.
pub const ITERATIONS: u32 = 100_000;
/// Longest encoded hash [`parse`] reads (a 64-byte salt encodes to ~155 characters).
pub const MAX_ENCODED_LEN: usize = 256;
/// Shortest acceptable password, in Unicode code points (NIST SP 800-63B counts each code
/// point as one character). Above 63B-3's minimum of 8; 63B-4 asks 15 for password-only.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest acceptable password, in UTF-8 bytes (63B asks to allow at least 64 characters).
pub const MAX_PASSWORD_BYTES: usize = 256;

const SCHEME: &str = "pbkdf2-sha256";
const SALT_LEN: std::ops::RangeInclusive<usize> = 8..=64;
const HASH_LEN: usize = 32;

/// Why an encoded hash was refused, or why a new password fails the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    EncodedTooLong { len: usize },
    NoLeadingDollar,
    FieldCount { found: usize },
    UnknownScheme(String),
    IterationsSyntax,
    IterationsOutOfRange(u32),
    SaltEncoding,
    SaltLength(usize),
    HashEncoding,
    HashLength(usize),
    PasswordTooShort { chars: usize },
    PasswordTooLong { bytes: usize },
    PasswordAllWhitespace,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EncodedTooLong { len } => {
                write!(f, "encoded hash is {len} bytes, over {MAX_ENCODED_LEN}")
            }
            Self::NoLeadingDollar => f.write_str("encoded hash does not start with `$`"),
            Self::FieldCount { found } => write!(f, "encoded hash has {found} fields, expected 4"),
            Self::UnknownScheme(id) => write!(f, "unknown hash scheme `{id}`"),
            Self::IterationsSyntax => f.write_str("iterations field is not `i=<decimal>`"),
            Self::IterationsOutOfRange(i) => write!(f, "iterations {i} outside 1..={ITERATIONS}"),
            Self::SaltEncoding => f.write_str("salt is not unpadded standard base64"),
            Self::SaltLength(n) => write!(f, "salt is {n} bytes, expected 8..=64"),
            Self::HashEncoding => f.write_str("hash is not unpadded standard base64"),
            Self::HashLength(n) => write!(f, "hash is {n} bytes, expected {HASH_LEN}"),
            Self::PasswordTooShort { chars } => {
                write!(f, "password has {chars} characters, minimum {MIN_PASSWORD_CHARS}")
            }
            Self::PasswordTooLong { bytes } => {
                write!(f, "password is {bytes} bytes, maximum {MAX_PASSWORD_BYTES}")
            }
            Self::PasswordAllWhitespace => f.write_str("password is only whitespace"),
        }
    }
}

impl std::error::Error for PasswordError {}

/// A parsed stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: [u8; 32],
}

impl PasswordHash {
    /// Whether `derived` (PBKDF2 output for the candidate password) equals the stored hash,
    /// compared in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        super::ct_eq(&self.hash, derived)
    }
}

/// PBKDF2 (RFC 8018 §5.2) with PRF = HMAC-SHA256, filling `out` (dkLen = `out.len()`).
/// An iteration count of 0 behaves as 1; [`parse`] never yields 0.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    let prf = super::hmac::<Sha256>(password);
    for (chunk, index) in out.chunks_mut(HASH_LEN).zip(1u32..) {
        let block = pbkdf2_block(&prf, salt, iterations, index);
        chunk.iter_mut().zip(block).for_each(|(dst, src)| *dst = src);
    }
}

/// RFC 8018 §5.2 step 3: T_i = U_1 ^ U_2 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)).
fn pbkdf2_block(prf: &Hmac<Sha256>, salt: &[u8], iterations: u32, index: u32) -> [u8; 32] {
    let mut mac = prf.clone();
    mac.update(salt);
    mac.update(&index.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut t = u;
    for _ in 1..iterations {
        let mut mac = prf.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        t.iter_mut().zip(u).for_each(|(acc, x)| *acc ^= x);
    }
    t
}

/// Hashes `password` with [`ITERATIONS`] and the caller's random 16-byte salt.
pub fn hash_password(password: &str, salt: [u8; 16]) -> String {
    let mut hash = [0u8; HASH_LEN];
    pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS, &mut hash);
    encode(&salt, &hash)
}

/// The stored form of a hash derived (anywhere) with [`ITERATIONS`] over `salt`.
pub fn encode(salt: &[u8], hash: &[u8; HASH_LEN]) -> String {
    format!("${SCHEME}$i={ITERATIONS}${}${}", STANDARD_NO_PAD.encode(salt), STANDARD_NO_PAD.encode(hash))
}

/// Parses `$pbkdf2-sha256$i=<1..=100000>$<salt 8..=64 bytes>$<hash 32 bytes>`.
pub fn parse(encoded: &str) -> Result<PasswordHash, PasswordError> {
    if encoded.len() > MAX_ENCODED_LEN {
        return Err(PasswordError::EncodedTooLong { len: encoded.len() });
    }
    let body = encoded.strip_prefix('$').ok_or(PasswordError::NoLeadingDollar)?;
    let fields: Vec<&str> = body.split('$').collect();
    let [scheme, iterations, salt, hash] = fields.as_slice() else {
        return Err(PasswordError::FieldCount { found: fields.len() });
    };
    if *scheme != SCHEME {
        return Err(PasswordError::UnknownScheme((*scheme).to_owned()));
    }
    Ok(PasswordHash { iterations: parse_iterations(iterations)?, salt: parse_salt(salt)?, hash: parse_hash(hash)? })
}

/// `i=<decimal>`: digits only, no sign, no leading zero, then 1..=[`ITERATIONS`].
fn parse_iterations(field: &str) -> Result<u32, PasswordError> {
    let digits = field.strip_prefix("i=").ok_or(PasswordError::IterationsSyntax)?;
    let canonical = (1..=9).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return Err(PasswordError::IterationsSyntax);
    }
    let value: u32 = digits.parse().map_err(|_| PasswordError::IterationsSyntax)?;
    if !(1..=ITERATIONS).contains(&value) {
        return Err(PasswordError::IterationsOutOfRange(value));
    }
    Ok(value)
}

fn parse_salt(field: &str) -> Result<Vec<u8>, PasswordError> {
    let salt = STANDARD_NO_PAD.decode(field).map_err(|_| PasswordError::SaltEncoding)?;
    if !SALT_LEN.contains(&salt.len()) {
        return Err(PasswordError::SaltLength(salt.len()));
    }
    Ok(salt)
}

fn parse_hash(field: &str) -> Result<[u8; 32], PasswordError> {
    let hash = STANDARD_NO_PAD.decode(field).map_err(|_| PasswordError::HashEncoding)?;
    <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| PasswordError::HashLength(hash.len()))
}

/// Parses `encoded` and checks `password` against it with the pure-Rust PBKDF2.
/// Host-side only (seeding, tests): at the edge, derive with Web Crypto and call
/// [`PasswordHash::matches`].
pub fn verify(password: &str, encoded: &str) -> Result<bool, PasswordError> {
    let stored = parse(encoded)?;
    let mut derived = [0u8; HASH_LEN];
    pbkdf2_sha256(password.as_bytes(), &stored.salt, stored.iterations, &mut derived);
    Ok(stored.matches(&derived))
}

/// Policy for new passwords, after NIST SP 800-63B §5.1.1.2 (§3.1.1.2 in 63B-4): at least
/// [`MIN_PASSWORD_CHARS`] code points, at most [`MAX_PASSWORD_BYTES`] bytes, not only
/// whitespace. Deliberately no composition rules (63B forbids them) and no truncation.
/// The blocklist check 63B also requires (breached/common passwords) is the caller's.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::PasswordTooLong { bytes: password.len() });
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::PasswordTooShort { chars });
    }
    if password.chars().all(char::is_whitespace) {
        return Err(PasswordError::PasswordAllWhitespace);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Salt 00 01 .. 0f, password "correct horse battery staple", c = 100000; expected
    /// string computed independently with Python's `hashlib.pbkdf2_hmac`.
    const PYTHON_VECTOR: &str =
        "$pbkdf2-sha256$i=100000$AAECAwQFBgcICQoLDA0ODw$SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKh4";
    const PYTHON_VECTOR_PASSWORD: &str = "correct horse battery staple";

    fn salt_0_to_15() -> [u8; 16] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn rfc7914_s11_pbkdf2_sha256_passwd_salt_c1_dklen64() {
        let mut out = [0u8; 64];
        pbkdf2_sha256(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    #[test]
    fn rfc7914_s11_pbkdf2_sha256_password_nacl_c80000_dklen64() {
        let mut out = [0u8; 64];
        pbkdf2_sha256(b"Password", b"NaCl", 80_000, &mut out);
        assert_eq!(
            hex(&out),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[test]
    fn python_hashlib_vector_hash_password_and_verify() {
        assert_eq!(hash_password(PYTHON_VECTOR_PASSWORD, salt_0_to_15()), PYTHON_VECTOR);
        assert_eq!(verify(PYTHON_VECTOR_PASSWORD, PYTHON_VECTOR), Ok(true));
        assert_eq!(verify("correct horse battery stapl", PYTHON_VECTOR), Ok(false));
    }

    #[test]
    fn python_hashlib_vector_parse_round_trip() {
        let parsed = parse(PYTHON_VECTOR).unwrap();
        assert_eq!(parsed.iterations, ITERATIONS);
        assert_eq!(parsed.salt, salt_0_to_15());
        let mut derived = [0u8; 32];
        pbkdf2_sha256(PYTHON_VECTOR_PASSWORD.as_bytes(), &parsed.salt, parsed.iterations, &mut derived);
        assert!(parsed.matches(&derived));
        assert!(!parsed.matches(&derived[..31]));
        derived[0] ^= 1;
        assert!(!parsed.matches(&derived));
    }

    #[test]
    fn rfc7914_passwd_salt_c1_verifies_through_format_with_low_iterations() {
        // Salt "saltsalt" (8 bytes, the minimum) and c=1: first 32 bytes of PBKDF2("passwd").
        let mut hash = [0u8; 32];
        pbkdf2_sha256(b"passwd", b"saltsalt", 1, &mut hash);
        let encoded =
            format!("$pbkdf2-sha256$i=1${}${}", STANDARD_NO_PAD.encode(b"saltsalt"), STANDARD_NO_PAD.encode(hash));
        assert_eq!(verify("passwd", &encoded), Ok(true));
    }

    #[test]
    fn malformed_strings_each_rejected_with_own_error() {
        let salt = "AAECAwQFBgcICQoLDA0ODw";
        let hash = "SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKh4";
        let cases: Vec<(String, PasswordError)> = vec![
            ("$".repeat(300), PasswordError::EncodedTooLong { len: 300 }),
            (format!("$pbkdf2-sha256$i=1${salt}"), PasswordError::FieldCount { found: 3 }),
            (format!("pbkdf2-sha256$i=1${salt}${hash}"), PasswordError::NoLeadingDollar),
            (format!("$pbkdf2-sha256$i=1${salt}${hash}$"), PasswordError::FieldCount { found: 5 }),
            (format!("$pbkdf2-sha512$i=1${salt}${hash}"), PasswordError::UnknownScheme("pbkdf2-sha512".into())),
            (format!("$pbkdf2-sha256$1${salt}${hash}"), PasswordError::IterationsSyntax),
            (format!("$pbkdf2-sha256$i=+5${salt}${hash}"), PasswordError::IterationsSyntax),
            (format!("$pbkdf2-sha256$i=0100${salt}${hash}"), PasswordError::IterationsSyntax),
            (format!("$pbkdf2-sha256$i=${salt}${hash}"), PasswordError::IterationsSyntax),
            (format!("$pbkdf2-sha256$i=0${salt}${hash}"), PasswordError::IterationsOutOfRange(0)),
            (format!("$pbkdf2-sha256$i=100001${salt}${hash}"), PasswordError::IterationsOutOfRange(100_001)),
            (format!("$pbkdf2-sha256$i=1$AAECAwQFBgcICQoLDA0ODw==${hash}"), PasswordError::SaltEncoding),
            (format!("$pbkdf2-sha256$i=1$AAEC-wQFBgcICQoLDA0ODw${hash}"), PasswordError::SaltEncoding),
            (format!("$pbkdf2-sha256$i=1$AAECAwQFBg${hash}"), PasswordError::SaltLength(7)),
            (format!("$pbkdf2-sha256$i=1${}${hash}", "A".repeat(88)), PasswordError::SaltLength(66)),
            (
                format!("$pbkdf2-sha256$i=1${salt}$SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKh5"),
                PasswordError::HashEncoding,
            ),
            (
                format!("$pbkdf2-sha256$i=1${salt}$SdScJfWXhGIJ8Nkud3CrZOHHXpS0zmxQkmXuZxddKg"),
                PasswordError::HashLength(31),
            ),
        ];
        for (encoded, expected) in cases {
            assert_eq!(parse(&encoded), Err(expected), "{encoded}");
        }
    }

    #[test]
    fn policy_accepts_12_code_points_and_rejects_each_rule() {
        assert_eq!(check_policy("tr0ub4dor&3x"), Ok(()));
        assert_eq!(check_policy("ééééééééééé€"), Ok(()), "12 code points, 25 bytes");
        assert_eq!(check_policy("  spaces ok  "), Ok(()));
        assert_eq!(check_policy("short"), Err(PasswordError::PasswordTooShort { chars: 5 }));
        assert_eq!(check_policy(&"x".repeat(257)), Err(PasswordError::PasswordTooLong { bytes: 257 }));
        assert_eq!(check_policy(&"x".repeat(256)), Ok(()));
        assert_eq!(check_policy(" \t\n            "), Err(PasswordError::PasswordAllWhitespace));
    }
}

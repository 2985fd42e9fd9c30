//! Session primitives for AxisSynapse Edge: the Auth.js session cookie (`jwe`), password
//! hashes (`password`) and opaque bearer tokens (`tokens`), plus the two helpers they share:
//! a constant-time comparison and an infallible HMAC constructor (RFC 2104 §2).

use hmac::digest::{block_api::EagerHash, Digest, KeyInit};
use hmac::Hmac;

pub mod csrf;
pub mod device;
pub mod jwe;
pub mod password;
pub mod signin;
pub mod tokens;

/// Compares two byte strings in time that depends only on their lengths, never on where they
/// differ. Lengths are not secret here (tags, hashes and digests have fixed, public sizes).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Lowercase hex of the SHA-256 digest of `data`: the stored form of tokens and codes.
pub fn sha256_hex(data: &[u8]) -> String {
    Digest::finalize(<sha2::Sha256 as Digest>::new_with_prefix(data)).iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC keyed with `key` of any length. RFC 2104 §2 defines the block-sized key K0 as `key`
/// zero-padded, or `H(key)` zero-padded when `key` is longer than a block; building K0 here
/// avoids the `Result` of `new_from_slice`, which cannot fail for HMAC.
pub(crate) fn hmac<D: EagerHash + Digest>(key: &[u8]) -> Hmac<D> {
    let mut k0 = hmac::digest::Key::<Hmac<D>>::default();
    let hashed;
    let source = if key.len() > k0.len() {
        hashed = D::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    k0.iter_mut().zip(source).for_each(|(dst, src)| *dst = *src);
    Hmac::new(&k0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;
    use sha2::Sha256;

    #[test]
    fn ct_eq_equal_unequal_and_length_mismatch() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// FIPS 180-4 example "abc" (NIST CSRC SHA256.pdf).
    #[test]
    fn sha256_hex_fips_180_4_abc_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /// RFC 4231 §4.7 Test Case 6: 131-byte key, larger than the SHA-256 block, hashed first.
    #[test]
    fn rfc4231_test_case_6_long_key() {
        let mut mac = hmac::<Sha256>(&[0xaa; 131]);
        mac.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// RFC 4231 §4.3 Test Case 2: short key ("Jefe"), zero-padded.
    #[test]
    fn rfc4231_test_case_2_short_key() {
        let mut mac = hmac::<Sha256>(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

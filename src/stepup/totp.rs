//! Time-based one-time passwords: RFC 6238 TOTP (§4 algorithm, §5.2 validation window and
//! single use) over RFC 4226 HOTP (§5.3 dynamic truncation), with the RFC 4648 §6 base32
//! alphabet for secrets and the Key Uri Format (`otpauth://totp/…`) that authenticator apps scan.
//!
//! Enrolment and verification use the defaults every authenticator app supports: HMAC-SHA-1,
//! 6 digits, 30-second steps from T0 = 0. SHA-256/512 and other digit counts exist for the RFC
//! vectors and for callers that need them.

use hmac::digest::{block_api::EagerHash, Digest};
use hmac::Mac;
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use super::ct_eq;

/// RFC 6238 §4.1 time step X, in seconds.
pub const STEP_SECS: u64 = 30;
/// Digits of an enrolled code.
pub const DIGITS: u32 = 6;
/// RFC 4226 §5.3: at least 6 digits. 10 digits already show all 31 bits of the truncation.
const MIN_DIGITS: u32 = 6;
const MAX_DIGITS: u32 = 10;
/// Widest acceptance window [`verify`] honours, in steps either side of now.
pub const MAX_WINDOW: u64 = 10;
/// Longest code input [`verify`] looks at (6 digits plus generous spacing).
const MAX_CODE_INPUT: usize = 32;
/// Longest base32 secret [`base32_decode`] accepts: 160 characters, 100 bytes.
pub const MAX_BASE32_LEN: usize = 160;

/// The HMAC hash of RFC 6238 §1.2 (`TOTP-HMAC-SHA-1`, `-SHA-256`, `-SHA-512`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Sha1,
    Sha256,
    Sha512,
}

/// Why [`verify`] refused a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpError {
    /// Not exactly 6 digits once spaces are removed.
    Malformed,
    /// No step inside the window produces this code.
    Invalid,
    /// The code is right, but its step was already used (RFC 6238 §5.2).
    Replayed,
}

/// RFC 4226 §5.3 HOTP value of `counter`, zero-padded to `digits` (clamped to 6..=10).
pub fn hotp(secret: &[u8], counter: u64, digits: u32, alg: Alg) -> String {
    let message = counter.to_be_bytes();
    let tag = match alg {
        Alg::Sha1 => mac::<Sha1>(secret, &message),
        Alg::Sha256 => mac::<Sha256>(secret, &message),
        Alg::Sha512 => mac::<Sha512>(secret, &message),
    };
    let digits = digits.clamp(MIN_DIGITS, MAX_DIGITS);
    let value = u64::from(dynamic_truncate(&tag)) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// RFC 6238 §4.2 TOTP at `unix_secs`: HOTP of `floor(unix_secs / step)` (a zero step counts
/// as one second).
pub fn totp(secret: &[u8], unix_secs: u64, step: u64, digits: u32, alg: Alg) -> String {
    hotp(secret, unix_secs / step.max(1), digits, alg)
}

/// Checks a 6-digit SHA-1 code typed by the user against the steps within `window` (clamped to
/// [`MAX_WINDOW`]) either side of now. Returns the matched step, which the caller records as
/// the new `last_used_step`: a step at or before `last_used_step` is refused as
/// [`TotpError::Replayed`], so each step verifies once (RFC 6238 §5.2). Every step in the
/// window is compared, in constant time, whatever matches first.
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_secs: u64,
    window: u64,
    last_used_step: Option<u64>,
) -> Result<u64, TotpError> {
    let code = normalise_code(code).ok_or(TotpError::Malformed)?;
    let now = unix_secs / STEP_SECS;
    let window = window.min(MAX_WINDOW);
    let (mut fresh, mut replayed) = (None, false);
    for step in now.saturating_sub(window)..=now.saturating_add(window) {
        let candidate = hotp(secret, step, DIGITS, Alg::Sha1);
        if ct_eq(candidate.as_bytes(), code.as_bytes()) {
            if last_used_step.is_none_or(|last| step > last) {
                fresh = fresh.or(Some(step));
            } else {
                replayed = true;
            }
        }
    }
    match (fresh, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Invalid),
    }
}

/// The Key Uri Format provisioning URI for an authenticator app: the label `issuer:account`
/// and the `issuer` parameter percent-encoded (RFC 3986 §2.1, unreserved characters kept).
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_b32}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
    )
}

/// RFC 4648 §6 base32, upper case, without `=` padding (as authenticator apps expect).
/// Twenty random bytes (RFC 4226 §4 R6: 160 bits recommended) make a 32-character secret.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity((data.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in data {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(base32_symbol(acc >> bits));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(base32_symbol(acc << (5 - bits)));
    }
    out
}

/// Decodes unpadded RFC 4648 §6 base32 (either case; spaces ignored, as apps display secrets
/// in groups). `None` for other characters, an impossible length, non-zero trailing bits (a
/// non-canonical encoding), or more than [`MAX_BASE32_LEN`] characters.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() > MAX_BASE32_LEN * 2 {
        return None;
    }
    let symbols: Vec<u8> = text.bytes().filter(|b| *b != b' ').collect();
    if symbols.len() > MAX_BASE32_LEN {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for symbol in symbols {
        acc = (acc << 5) | u32::from(base32_value(symbol)?);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    (bits < 5 && acc == 0).then_some(out)
}

/// HMAC (RFC 2104) of `message` under `key`, via the crate's infallible constructor.
fn mac<D: EagerHash + Digest>(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = crate::session::hmac::<D>(key);
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 4226 §5.3 dynamic truncation: 31 bits read at the offset named by the tag's last nibble.
fn dynamic_truncate(tag: &[u8]) -> u32 {
    let offset = usize::from(tag.last().map_or(0, |b| b & 0x0f));
    let word = tag.get(offset..offset + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).unwrap_or_default();
    u32::from_be_bytes(word) & 0x7fff_ffff
}

/// The typed code without spaces, if it is exactly [`DIGITS`] ASCII digits.
fn normalise_code(input: &str) -> Option<String> {
    if input.len() > MAX_CODE_INPUT {
        return None;
    }
    let code: String = input.chars().filter(|c| *c != ' ').collect();
    let well_formed = code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(code)
}

/// RFC 4648 §6 Table 3, value → symbol (only the low 5 bits of `value` are used).
fn base32_symbol(value: u32) -> char {
    let value = (value & 31) as u8;
    char::from(if value < 26 { b'A' + value } else { b'2' + value - 26 })
}

/// RFC 4648 §6 Table 3, symbol → value (lower case accepted).
fn base32_value(symbol: u8) -> Option<u8> {
    match symbol {
        b'A'..=b'Z' => Some(symbol - b'A'),
        b'a'..=b'z' => Some(symbol - b'a'),
        b'2'..=b'7' => Some(symbol - b'2' + 26),
        _ => None,
    }
}

/// RFC 3986 §2.1 percent-encoding of everything but the §2.3 unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B seeds: the ASCII digits "1234567890" repeated to the hash size.
    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 6238 Appendix B table: time, SHA-1, SHA-256, SHA-512 (8 digits, X = 30, T0 = 0).
    const RFC6238_APPENDIX_B: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (time, sha1, _, _) in RFC6238_APPENDIX_B {
            assert_eq!(totp(SEED_SHA1, time, 30, 8, Alg::Sha1), sha1, "t={time}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha256_vectors() {
        for (time, _, sha256, _) in RFC6238_APPENDIX_B {
            assert_eq!(totp(SEED_SHA256, time, 30, 8, Alg::Sha256), sha256, "t={time}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha512_vectors() {
        for (time, _, _, sha512) in RFC6238_APPENDIX_B {
            assert_eq!(totp(SEED_SHA512, time, 30, 8, Alg::Sha512), sha512, "t={time}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counts 0..=9 with the same 20-byte secret.
    #[test]
    fn rfc4226_appendix_d_hotp_vectors() {
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (count, value) in (0u64..).zip(expected) {
            assert_eq!(hotp(SEED_SHA1, count, 6, Alg::Sha1), value, "count={count}");
        }
    }

    /// RFC 4226 Appendix D also lists the truncated decimal; 10 digits shows all of it.
    #[test]
    fn rfc4226_appendix_d_truncated_values_at_ten_digits() {
        let expected = [
            "1284755224",
            "1094287082",
            "0137359152",
            "1726969429",
            "1640338314",
            "0868254676",
            "1918287922",
            "0082162583",
            "0673399871",
            "0645520489",
        ];
        for (count, value) in (0u64..).zip(expected) {
            assert_eq!(hotp(SEED_SHA1, count, 10, Alg::Sha1), value, "count={count}");
        }
    }

    #[test]
    fn hotp_clamps_digits_below_six_and_above_ten() {
        assert_eq!(hotp(SEED_SHA1, 0, 4, Alg::Sha1), "755224");
        assert_eq!(hotp(SEED_SHA1, 0, 12, Alg::Sha1), "1284755224");
    }

    /// RFC 4648 §10 base32 test vectors, padding removed.
    const RFC4648_BASE32: [(&[u8], &str); 7] = [
        (b"", ""),
        (b"f", "MY"),
        (b"fo", "MZXQ"),
        (b"foo", "MZXW6"),
        (b"foob", "MZXW6YQ"),
        (b"fooba", "MZXW6YTB"),
        (b"foobar", "MZXW6YTBOI"),
    ];

    #[test]
    fn rfc4648_section10_base32_encode_vectors() {
        for (data, text) in RFC4648_BASE32 {
            assert_eq!(base32_encode(data), text);
        }
    }

    #[test]
    fn rfc4648_section10_base32_decode_vectors() {
        for (data, text) in RFC4648_BASE32 {
            assert_eq!(base32_decode(text).as_deref(), Some(data), "{text}");
        }
    }

    #[test]
    fn base32_decode_accepts_lower_case_and_grouping_spaces() {
        assert_eq!(base32_decode("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
    }

    #[test]
    fn base32_decode_refuses_padding_bad_symbols_lengths_and_trailing_bits() {
        assert_eq!(base32_decode("MY======"), None);
        assert_eq!(base32_decode("MZ1Q"), None, "1 is not in the alphabet");
        assert_eq!(base32_decode("M"), None, "1 symbol cannot hold a byte");
        assert_eq!(base32_decode("MZX"), None, "3 symbols is an impossible length");
        assert_eq!(base32_decode("MZ"), None, "non-zero trailing bits");
    }

    #[test]
    fn base32_decode_refuses_input_over_the_length_limit() {
        let long = "A".repeat(MAX_BASE32_LEN + 8);
        assert_eq!(base32_decode(&long), None);
        let at_limit = "A".repeat(MAX_BASE32_LEN);
        assert_eq!(base32_decode(&at_limit).map(|v| v.len()), Some(100));
    }

    #[test]
    fn base32_round_trips_a_twenty_byte_secret() {
        let secret: Vec<u8> = (0u8..20).map(|i| i.wrapping_mul(37)).collect();
        let text = base32_encode(&secret);
        assert_eq!(text.len(), 32);
        assert_eq!(base32_decode(&text), Some(secret));
    }

    /// t = 1111111111 is step 37037037; its 6-digit SHA-1 code is the last six of 14050471.
    const T: u64 = 1_111_111_111;
    const STEP: u64 = 37_037_037;

    #[test]
    fn verify_accepts_current_step_and_returns_it() {
        assert_eq!(verify(SEED_SHA1, "050471", T, 1, None), Ok(STEP));
    }

    #[test]
    fn verify_ignores_spaces_in_the_typed_code() {
        assert_eq!(verify(SEED_SHA1, "050 471", T, 1, None), Ok(STEP));
        assert_eq!(verify(SEED_SHA1, " 05 04 71 ", T, 1, None), Ok(STEP));
    }

    #[test]
    fn verify_accepts_previous_and_next_step_within_window_one() {
        let previous = hotp(SEED_SHA1, STEP - 1, 6, Alg::Sha1);
        let next = hotp(SEED_SHA1, STEP + 1, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &previous, T, 1, None), Ok(STEP - 1));
        assert_eq!(verify(SEED_SHA1, &next, T, 1, None), Ok(STEP + 1));
    }

    #[test]
    fn verify_refuses_steps_outside_the_window() {
        let two_back = hotp(SEED_SHA1, STEP - 2, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &two_back, T, 1, None), Err(TotpError::Invalid));
        assert_eq!(verify(SEED_SHA1, &two_back, T, 2, None), Ok(STEP - 2));
        let previous = hotp(SEED_SHA1, STEP - 1, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &previous, T, 0, None), Err(TotpError::Invalid));
    }

    #[test]
    fn verify_clamps_huge_windows_to_max_window() {
        let far = hotp(SEED_SHA1, STEP - MAX_WINDOW - 1, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &far, T, u64::MAX, None), Err(TotpError::Invalid));
    }

    #[test]
    fn verify_refuses_a_step_already_used_as_replayed() {
        assert_eq!(verify(SEED_SHA1, "050471", T, 1, Some(STEP)), Err(TotpError::Replayed));
    }

    #[test]
    fn verify_refuses_an_older_step_once_a_newer_one_was_used() {
        let previous = hotp(SEED_SHA1, STEP - 1, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &previous, T, 1, Some(STEP)), Err(TotpError::Replayed));
    }

    #[test]
    fn verify_accepts_the_next_step_after_the_current_one_was_used() {
        let next = hotp(SEED_SHA1, STEP + 1, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &next, T, 1, Some(STEP)), Ok(STEP + 1));
    }

    #[test]
    fn verify_reports_a_wrong_code_as_invalid() {
        assert_eq!(verify(SEED_SHA1, "000000", T, 1, None), Err(TotpError::Invalid));
        assert_eq!(verify(b"another secret", "050471", T, 1, None), Err(TotpError::Invalid));
    }

    #[test]
    fn verify_reports_malformed_codes() {
        for code in ["", "05047", "0504712", "05047a", "050-471", "０５０４７１", &" ".repeat(40)] {
            assert_eq!(verify(SEED_SHA1, code, T, 1, None), Err(TotpError::Malformed), "{code:?}");
        }
    }

    #[test]
    fn verify_near_the_epoch_does_not_underflow() {
        let zero = hotp(SEED_SHA1, 0, 6, Alg::Sha1);
        assert_eq!(verify(SEED_SHA1, &zero, 5, 1, None), Ok(0));
    }

    #[test]
    fn otpauth_uri_follows_key_uri_format_and_percent_encodes() {
        let uri = otpauth_uri("ACME Co", "jane@example.com", "JBSWY3DPEHPK3PXP");
        assert_eq!(
            uri,
            "otpauth://totp/ACME%20Co:jane%40example.com?secret=JBSWY3DPEHPK3PXP\
             &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_encodes_colons_and_non_ascii_in_the_label() {
        let uri = otpauth_uri("A:B", "zoë", "MY");
        assert!(uri.starts_with("otpauth://totp/A%3AB:zo%C3%AB?secret=MY&issuer=A%3AB&"));
    }
}

//! One-time recovery codes (NIST SP 800-63B §5.1.2, look-up secrets): ten codes of ten symbols
//! from a 16-symbol alphabet with no look-alikes, shown once as `xxxxx-xxxxx`. Each symbol
//! carries 4 bits, so a code holds 40 random bits (≥ the 20 bits §5.1.2.1 asks of a look-up
//! secret). Only the hex SHA-256 of the normalised code is stored; a used code's hash is
//! removed by the caller.

use super::{ct_eq, sha256_hex};

/// Codes per set.
pub const CODES: usize = 10;
/// Symbols per code, without the hyphen.
pub const CODE_LEN: usize = 10;
/// Random bytes one set consumes: one byte makes two symbols.
pub const RANDOM_LEN: usize = CODES * CODE_LEN / 2;
/// Lowercase letters without the look-alikes of digits or each other (b/g/i/l/o/q/s/u/v/z).
const ALPHABET: &[u8; 16] = b"acdefhjkmnprtwxy";
/// Longest typed input [`normalise`] looks at (spacing and hyphens included).
const MAX_INPUT_LEN: usize = 40;

/// Ten codes formatted `xxxxx-xxxxx`, two symbols from each random byte (high nibble first).
pub fn generate(random: &[u8; RANDOM_LEN]) -> Vec<String> {
    let symbols: Vec<u8> = random
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .filter_map(|nibble| ALPHABET.get(usize::from(nibble)).copied())
        .collect();
    symbols.chunks(CODE_LEN).map(format_code).collect()
}

/// The stored form: hex SHA-256 of the normalised code, or `None` if it is not a code.
pub fn hash(code: &str) -> Option<String> {
    normalise(code).map(|c| sha256_hex(c.as_bytes()))
}

/// The code as typed, lower-cased, without spaces or hyphens, if it is exactly [`CODE_LEN`]
/// symbols of the alphabet.
pub fn normalise(input: &str) -> Option<String> {
    if input.len() > MAX_INPUT_LEN {
        return None;
    }
    let code: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_lowercase()).collect();
    let valid = code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The index of the stored hash the typed code matches. Every entry is compared in constant
/// time, whatever matches first.
pub fn find(input: &str, stored_hashes: &[String]) -> Option<usize> {
    let typed = hash(input)?;
    stored_hashes.iter().enumerate().fold(None, |found, (i, stored)| {
        let hit = ct_eq(stored.as_bytes(), typed.as_bytes());
        found.or(hit.then_some(i))
    })
}

/// `xxxxx-xxxxx` from ten symbols.
fn format_code(symbols: &[u8]) -> String {
    let half = CODE_LEN / 2;
    let head = symbols.iter().take(half).map(|b| char::from(*b));
    let tail = symbols.iter().skip(half).map(|b| char::from(*b));
    head.chain(std::iter::once('-')).chain(tail).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(seed: u8) -> [u8; RANDOM_LEN] {
        let mut bytes = [0u8; RANDOM_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(73).wrapping_add(seed);
        }
        bytes
    }

    #[test]
    fn generate_makes_ten_hyphenated_codes_of_ten_alphabet_symbols() {
        let codes = generate(&random(7));
        assert_eq!(codes.len(), CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(code.bytes().filter(|b| *b != b'-').all(|b| ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn generate_maps_nibbles_high_first() {
        let mut bytes = [0u8; RANDOM_LEN];
        bytes[0] = 0x0f;
        bytes[1] = 0x12;
        bytes[4] = 0xff;
        assert_eq!(generate(&bytes)[0], "aycda-aaayy");
    }

    #[test]
    fn alphabet_has_sixteen_distinct_unambiguous_symbols() {
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 16);
        assert!(!ALPHABET.iter().any(|b| b"01ilo25sz8b6g9quv".contains(b)));
    }

    #[test]
    fn normalise_lowercases_and_strips_spaces_and_hyphens() {
        assert_eq!(normalise("ACDEF-HJKMN").as_deref(), Some("acdefhjkmn"));
        assert_eq!(normalise(" acd ef hjk-mn ").as_deref(), Some("acdefhjkmn"));
    }

    #[test]
    fn normalise_refuses_wrong_length_foreign_symbols_and_overlong_input() {
        assert_eq!(normalise("acdef-hjkm"), None);
        assert_eq!(normalise("acdef-hjkmnp"), None);
        assert_eq!(normalise("acdef-hjkm0"), None);
        assert_eq!(normalise("acdef_hjkmn"), None);
        assert_eq!(normalise(&format!("acdef{}hjkmn", " ".repeat(40))), None);
    }

    #[test]
    fn hash_is_hex_sha256_of_the_normalised_code() {
        let expected = sha256_hex(b"acdefhjkmn");
        assert_eq!(hash("ACDEF-HJKMN").as_deref(), Some(expected.as_str()));
        assert_eq!(hash("acdef hjkmn").as_deref(), Some(expected.as_str()));
        assert_eq!(hash("not a code"), None);
    }

    #[test]
    fn find_returns_the_index_of_the_matching_stored_hash() {
        let codes = generate(&random(1));
        let stored: Vec<String> = codes.iter().filter_map(|c| hash(c)).collect();
        assert_eq!(stored.len(), CODES);
        assert_eq!(find(&codes[3], &stored), Some(3));
        assert_eq!(find(&codes[9].to_uppercase().replace('-', " "), &stored), Some(9));
    }

    #[test]
    fn find_misses_after_the_used_hash_is_removed() {
        let codes = generate(&random(2));
        let mut stored: Vec<String> = codes.iter().filter_map(|c| hash(c)).collect();
        let used = find(&codes[4], &stored);
        assert_eq!(used, Some(4));
        stored.remove(4);
        assert_eq!(find(&codes[4], &stored), None);
    }

    #[test]
    fn find_refuses_malformed_input_and_empty_store() {
        let stored = vec![sha256_hex(b"acdefhjkmn")];
        assert_eq!(find("acdef-hjkm0", &stored), None);
        assert_eq!(find("acdef-hjkmn", &[]), None);
    }
}

//! Bounded CBOR (RFC 8949) decoding for the WebAuthn structures of §6.5 (attestation object,
//! credentialPublicKey, extensions): at most 16 KiB of input, containers nested at most 8
//! deep, and — for the maps this module reads — at most 16 entries and no repeated key.

use super::WebauthnError;
use ciborium::value::Value;

/// Largest CBOR input accepted.
pub(super) const MAX_INPUT: usize = 16 * 1024;
/// Deepest nesting of arrays, maps and tags accepted.
pub(super) const MAX_DEPTH: usize = 8;
const MAX_MAP_ENTRIES: usize = 16;

/// Decodes the one CBOR item at the start of `bytes`; returns it and the bytes it used.
pub(super) fn decode_prefix(bytes: &[u8], what: &'static str) -> Result<(Value, usize), WebauthnError> {
    if bytes.len() > MAX_INPUT {
        return Err(WebauthnError::TooLarge { what, limit: MAX_INPUT, actual: bytes.len() });
    }
    let mut rest = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH)
        .map_err(|e| decode_error(e, what, bytes.len()))?;
    Ok((value, bytes.len().saturating_sub(rest.len())))
}

/// Decodes one CBOR item that must fill `bytes` exactly.
pub(super) fn decode_exact(bytes: &[u8], what: &'static str) -> Result<Value, WebauthnError> {
    let (value, used) = decode_prefix(bytes, what)?;
    match bytes.len().saturating_sub(used) {
        0 => Ok(value),
        count => Err(WebauthnError::TrailingBytes { what, count }),
    }
}

fn decode_error(error: ciborium::de::Error<std::io::Error>, what: &'static str, available: usize) -> WebauthnError {
    use ciborium::de::Error as E;
    match error {
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            WebauthnError::Truncated { what, needed: available.saturating_add(1), available }
        }
        E::RecursionLimitExceeded => WebauthnError::CborNestingTooDeep { limit: MAX_DEPTH },
        E::Io(io) => WebauthnError::Cbor(format!("{what}: {io}")),
        E::Syntax(offset) => WebauthnError::Cbor(format!("{what}: syntax error at byte {offset}")),
        E::Semantic(_, message) => WebauthnError::Cbor(format!("{what}: {message}")),
    }
}

/// The entries of a map with at most 16 entries and no repeated key.
pub(super) fn map<'v>(value: &'v Value, what: &'static str) -> Result<&'v [(Value, Value)], WebauthnError> {
    let Value::Map(entries) = value else {
        return Err(WebauthnError::MissingOrInvalidField(what));
    };
    if entries.len() > MAX_MAP_ENTRIES {
        return Err(WebauthnError::Cbor(format!("{what} has more than {MAX_MAP_ENTRIES} entries")));
    }
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries.iter().skip(i.saturating_add(1)).any(|(other, _)| other == key) {
            return Err(WebauthnError::CborDuplicateKey { what });
        }
    }
    Ok(entries)
}

/// The value under text key `key`, if any.
pub(super) fn get<'v>(entries: &'v [(Value, Value)], key: &str) -> Option<&'v Value> {
    entries.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
}

/// A CBOR integer that fits in `i64`.
pub(super) fn int(value: &Value) -> Option<i64> {
    value.as_integer().and_then(|i| i64::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut bytes = vec![0x81; depth];
        bytes.push(0x00);
        bytes
    }

    #[test]
    fn decode_prefix_reports_the_length_of_one_item() {
        let (value, used) = decode_prefix(&[0xa1, 0x01, 0x02, 0xff, 0xff], "t").unwrap();
        assert_eq!(used, 3);
        assert!(value.is_map());
    }

    #[test]
    fn decode_exact_rejects_trailing_bytes() {
        assert_eq!(decode_exact(&[0x01, 0x02], "t"), Err(WebauthnError::TrailingBytes { what: "t", count: 1 }));
    }

    #[test]
    fn nesting_of_eight_is_accepted_and_nine_rejected() {
        assert!(decode_exact(&nested_arrays(8), "t").is_ok());
        assert_eq!(decode_exact(&nested_arrays(9), "t"), Err(WebauthnError::CborNestingTooDeep { limit: 8 }));
    }

    #[test]
    fn input_over_16_kib_is_rejected_before_decoding() {
        let big = vec![0u8; MAX_INPUT + 1];
        assert_eq!(
            decode_exact(&big, "t"),
            Err(WebauthnError::TooLarge { what: "t", limit: MAX_INPUT, actual: MAX_INPUT + 1 })
        );
    }

    #[test]
    fn truncated_item_is_truncated_and_garbage_is_cbor_error() {
        assert!(matches!(decode_exact(&[0x59, 0xff, 0xff, 0x00], "t"), Err(WebauthnError::Truncated { .. })));
        assert!(matches!(decode_exact(&[0xff], "t"), Err(WebauthnError::Cbor(_))));
    }

    #[test]
    fn maps_with_a_repeated_key_are_rejected() {
        let value = decode_exact(&[0xa2, 0x01, 0x02, 0x01, 0x03], "t").unwrap();
        assert_eq!(map(&value, "m"), Err(WebauthnError::CborDuplicateKey { what: "m" }));
    }
}

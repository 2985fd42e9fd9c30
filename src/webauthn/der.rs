//! A small strict DER reader (ITU-T X.690 §8.1 and §10) for the two DER structures a WebAuthn
//! relying party meets: ECDSA-Sig-Value (RFC 3279 §2.2.3, used by §6.5.5 for ES256) and the
//! X.509 attestation certificate (RFC 5280 §4.1, §8.2.1). Single-byte tags, definite and
//! minimal lengths of at most 65535 bytes, nothing read past the input.

use super::WebauthnError;

pub(super) const BOOLEAN: u8 = 0x01;
pub(super) const INTEGER: u8 = 0x02;
pub(super) const BIT_STRING: u8 = 0x03;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const NULL: u8 = 0x05;
pub(super) const OID: u8 = 0x06;
pub(super) const UTF8_STRING: u8 = 0x0c;
pub(super) const PRINTABLE_STRING: u8 = 0x13;
pub(super) const TELETEX_STRING: u8 = 0x14;
pub(super) const IA5_STRING: u8 = 0x16;
pub(super) const UTC_TIME: u8 = 0x17;
pub(super) const GENERALIZED_TIME: u8 = 0x18;
pub(super) const BMP_STRING: u8 = 0x1e;
pub(super) const SEQUENCE: u8 = 0x30;
pub(super) const SET: u8 = 0x31;

/// Reads consecutive elements from a DER byte string.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element's tag without consuming it.
    pub(super) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element as (tag, content).
    pub(super) fn any(&mut self) -> Result<(u8, &'a [u8]), WebauthnError> {
        let eof = WebauthnError::Der("unexpected end of input");
        let (&tag, after_tag) = self.rest.split_first().ok_or(eof.clone())?;
        if tag & 0x1f == 0x1f {
            return Err(WebauthnError::Der("multi-byte tags are not supported"));
        }
        let (length, body) = read_length(after_tag)?;
        let (content, rest) = body.split_at_checked(length).ok_or(eof)?;
        self.rest = rest;
        Ok((tag, content))
    }

    /// The next element's content, which must carry `tag`; `what` names it in the error.
    pub(super) fn tagged(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], WebauthnError> {
        match self.peek_tag() {
            Some(t) if t == tag => Ok(self.any()?.1),
            _ => Err(WebauthnError::Der(what)),
        }
    }

    /// The next element's content if it carries `tag`, else nothing is consumed.
    pub(super) fn optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, WebauthnError> {
        match self.peek_tag() {
            Some(t) if t == tag => Ok(Some(self.any()?.1)),
            _ => Ok(None),
        }
    }

    /// Fails unless every byte has been read.
    pub(super) fn finish(&self, what: &'static str) -> Result<(), WebauthnError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(WebauthnError::Der(what))
        }
    }
}

fn read_length(bytes: &[u8]) -> Result<(usize, &[u8]), WebauthnError> {
    let non_minimal = WebauthnError::Der("non-minimal length");
    match bytes {
        [short, rest @ ..] if *short < 0x80 => Ok((usize::from(*short), rest)),
        [0x81, len, rest @ ..] if *len >= 0x80 => Ok((usize::from(*len), rest)),
        [0x82, hi, lo, rest @ ..] if *hi != 0 => Ok((usize::from(u16::from_be_bytes([*hi, *lo])), rest)),
        [0x81 | 0x82, ..] => Err(non_minimal),
        [] => Err(WebauthnError::Der("unexpected end of input")),
        _ => Err(WebauthnError::Der("indefinite or over-long length")),
    }
}

/// The magnitude of a non-negative, minimally encoded INTEGER (empty for zero).
pub(super) fn unsigned_integer(content: &[u8]) -> Result<&[u8], WebauthnError> {
    match content {
        [] => Err(WebauthnError::Der("empty INTEGER")),
        [first, ..] if first & 0x80 != 0 => Err(WebauthnError::Der("negative INTEGER")),
        [0, second, ..] if second & 0x80 == 0 => Err(WebauthnError::Der("non-minimal INTEGER")),
        [0, rest @ ..] => Ok(rest),
        _ => Ok(content),
    }
}

/// Converts an ES256 signature from DER ECDSA-Sig-Value to the raw 64-byte `r‖s` that
/// Web Crypto verifies (§6.5.5 "Signature Formats for Packed Attestation, FIDO U2F
/// Attestation, and Assertion Signatures").
pub(super) fn ecdsa_p256_signature_to_raw(der: &[u8]) -> Result<[u8; 64], WebauthnError> {
    let to_signature_error = |e: WebauthnError| match e {
        WebauthnError::Der(why) => WebauthnError::SignatureEncoding(why),
        other => other,
    };
    let mut outer = Reader::new(der);
    let sequence = outer.tagged(SEQUENCE, "ECDSA-Sig-Value is not a SEQUENCE").map_err(to_signature_error)?;
    outer.finish("bytes after ECDSA-Sig-Value").map_err(to_signature_error)?;
    let mut fields = Reader::new(sequence);
    let r = fields.tagged(INTEGER, "r is not an INTEGER").and_then(scalar).map_err(to_signature_error)?;
    let s = fields.tagged(INTEGER, "s is not an INTEGER").and_then(scalar).map_err(to_signature_error)?;
    fields.finish("extra fields in ECDSA-Sig-Value").map_err(to_signature_error)?;
    let mut raw = [0u8; 64];
    for (out, byte) in raw.iter_mut().zip(r.iter().chain(s.iter())) {
        *out = *byte;
    }
    Ok(raw)
}

/// A P-256 scalar from an INTEGER's content, left-padded to 32 bytes; zero is refused.
fn scalar(content: &[u8]) -> Result<[u8; 32], WebauthnError> {
    let magnitude = unsigned_integer(content)?;
    if magnitude.is_empty() {
        return Err(WebauthnError::Der("zero ECDSA scalar"));
    }
    let pad = 32usize.checked_sub(magnitude.len()).ok_or(WebauthnError::Der("ECDSA scalar longer than 32 bytes"))?;
    let mut out = [0u8; 32];
    for (slot, byte) in out.iter_mut().skip(pad).zip(magnitude) {
        *slot = *byte;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::hex;

    #[test]
    fn der_to_raw_strips_the_sign_byte_of_none_es256_assertion_signature() {
        // §16 "ES256 Credential with No Attestation", authentication `signature`.
        let der = hex("3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87");
        let raw = ecdsa_p256_signature_to_raw(&der).unwrap();
        assert_eq!(raw.to_vec(), hex("f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd388480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87"));
    }

    #[test]
    fn der_to_raw_left_pads_short_scalars() {
        let raw = ecdsa_p256_signature_to_raw(&[0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x02, 0x01, 0x00]).unwrap();
        assert_eq!(raw[31], 0x05);
        assert_eq!(&raw[62..], &[0x01, 0x00]);
        assert!(raw[..31].iter().chain(&raw[32..62]).all(|b| *b == 0));
    }

    #[test]
    fn der_to_raw_rejects_non_strict_encodings() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00], "bytes after ECDSA-Sig-Value"),
            (&[0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07], "non-minimal INTEGER"),
            (&[0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x07], "negative INTEGER"),
            (&[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x07], "zero ECDSA scalar"),
            (&[0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x07], "empty INTEGER"),
            (&[0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07], "non-minimal length"),
            (&[0x30, 0x80, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00, 0x00], "indefinite or over-long length"),
            (&[0x30, 0x09, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x02, 0x01, 0x01], "extra fields in ECDSA-Sig-Value"),
            (&[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01], "unexpected end of input"),
            (&[0x31, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07], "ECDSA-Sig-Value is not a SEQUENCE"),
        ];
        for (der, why) in cases {
            assert_eq!(ecdsa_p256_signature_to_raw(der), Err(WebauthnError::SignatureEncoding(why)), "{der:02x?}");
        }
    }

    #[test]
    fn der_to_raw_rejects_33_byte_magnitudes() {
        let mut der = vec![0x30, 0x26, 0x02, 0x21];
        der.extend([0x01; 33]);
        der.extend([0x02, 0x01, 0x07]);
        assert_eq!(
            ecdsa_p256_signature_to_raw(&der),
            Err(WebauthnError::SignatureEncoding("ECDSA scalar longer than 32 bytes"))
        );
    }

    #[test]
    fn two_byte_lengths_must_need_two_bytes() {
        assert_eq!(Reader::new(&[0x04, 0x82, 0x00, 0x80]).any(), Err(WebauthnError::Der("non-minimal length")));
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend([0u8; 256]);
        assert_eq!(Reader::new(&long).any().unwrap().1.len(), 256);
    }
}

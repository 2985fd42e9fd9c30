//! The packed attestation certificate requirements (§8.2.1 "Certificate Requirements for
//! Packed Attestation Statements") read from the leaf X.509 certificate (RFC 5280 §4.1):
//! version 3, Subject-OU "Authenticator Attestation", basicConstraints CA false, and the
//! id-fido-gen-ce-aaguid extension, when present, equal to the authenticator data AAGUID.
//! Only the leaf is read; its chain and validity period are the caller's policy.

use super::der::{self, Reader};
use super::{Aaguid, CoseKey, WebauthnError};

/// Largest attestation certificate accepted.
pub(super) const MAX_CERTIFICATE: usize = 4 * 1024;
/// Subject-OU required of packed attestation certificates.
pub(super) const REQUIRED_OU: &str = "Authenticator Attestation";

const CONTEXT_0: u8 = 0xa0;
const CONTEXT_1_IMPLICIT: u8 = 0x81;
const CONTEXT_2_IMPLICIT: u8 = 0x82;
const CONTEXT_3: u8 = 0xa3;
const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
/// 1.3.6.1.4.1.45724.1.1.4 id-fido-gen-ce-aaguid
const OID_FIDO_AAGUID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x04];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// The extensions §8.2.1 looks at.
#[derive(Default)]
struct Extensions {
    basic_constraints_ca: Option<bool>,
    aaguid: Option<(bool, Aaguid)>,
}

/// The fields of a leaf certificate the checks read.
struct Leaf<'c> {
    subject: &'c [u8],
    key: CoseKey,
    extensions: Extensions,
}

/// Reads an X.509 v3 certificate (RFC 5280 §4.1) down to its subject, key and extensions;
/// nothing about its issuer, validity or signature is judged here.
fn read_leaf(certificate: &[u8]) -> Result<Leaf<'_>, WebauthnError> {
    if certificate.len() > MAX_CERTIFICATE {
        return Err(WebauthnError::TooLarge { what: "certificate", limit: MAX_CERTIFICATE, actual: certificate.len() });
    }
    let mut outer = Reader::new(certificate);
    let mut cert = Reader::new(outer.tagged(der::SEQUENCE, "Certificate is not a SEQUENCE")?);
    outer.finish("bytes after Certificate")?;
    let mut tbs = Reader::new(cert.tagged(der::SEQUENCE, "tbsCertificate is not a SEQUENCE")?);
    cert.tagged(der::SEQUENCE, "signatureAlgorithm is not a SEQUENCE")?;
    cert.tagged(der::BIT_STRING, "signatureValue is not a BIT STRING")?;
    cert.finish("extra fields in Certificate")?;
    check_version(&mut tbs)?;
    tbs.tagged(der::INTEGER, "serialNumber is not an INTEGER")?;
    tbs.tagged(der::SEQUENCE, "signature is not a SEQUENCE")?;
    tbs.tagged(der::SEQUENCE, "issuer is not a SEQUENCE")?;
    tbs.tagged(der::SEQUENCE, "validity is not a SEQUENCE")?;
    let subject = tbs.tagged(der::SEQUENCE, "subject is not a SEQUENCE")?;
    let key = subject_public_key(tbs.tagged(der::SEQUENCE, "subjectPublicKeyInfo is not a SEQUENCE")?)?;
    tbs.optional(CONTEXT_1_IMPLICIT)?;
    tbs.optional(CONTEXT_2_IMPLICIT)?;
    let extensions = tbs.optional(CONTEXT_3)?.map(extensions).transpose()?.unwrap_or_default();
    tbs.finish("extra fields in tbsCertificate")?;
    Ok(Leaf { subject, key, extensions })
}

/// Checks `certificate` against §8.2.1 for `aaguid` and returns its public key.
pub(super) fn packed_leaf_key(certificate: &[u8], aaguid: &Aaguid) -> Result<CoseKey, WebauthnError> {
    let leaf = read_leaf(certificate)?;
    check_subject_ou(leaf.subject)?;
    check_extensions(&leaf.extensions, aaguid)?;
    Ok(leaf.key)
}

/// The P-256 or RSA public key of an X.509 v3 certificate (e.g. a SAML IdP's signing
/// certificate, trusted because an admin configured it, not through a chain).
pub fn certificate_public_key(certificate: &[u8]) -> Result<CoseKey, WebauthnError> {
    read_leaf(certificate).map(|leaf| leaf.key)
}

fn check_version(tbs: &mut Reader<'_>) -> Result<(), WebauthnError> {
    let version = match tbs.optional(CONTEXT_0)? {
        None => 1,
        Some(explicit) => {
            let mut inner = Reader::new(explicit);
            let value = der::unsigned_integer(inner.tagged(der::INTEGER, "version is not an INTEGER")?)?;
            inner.finish("extra bytes in version")?;
            match value {
                [] => 1,
                [v] => u64::from(*v).saturating_add(1),
                _ => u64::MAX,
            }
        }
    };
    match version {
        3 => Ok(()),
        actual => Err(WebauthnError::CertificateVersion { expected: 3, actual }),
    }
}

fn check_subject_ou(subject: &[u8]) -> Result<(), WebauthnError> {
    let mut found = Vec::new();
    let mut rdns = Reader::new(subject);
    while !rdns.is_empty() {
        let mut attributes = Reader::new(rdns.tagged(der::SET, "RelativeDistinguishedName is not a SET")?);
        while !attributes.is_empty() {
            let mut attribute =
                Reader::new(attributes.tagged(der::SEQUENCE, "AttributeTypeAndValue is not a SEQUENCE")?);
            let oid = attribute.tagged(der::OID, "attribute type is not an OID")?;
            let (tag, value) = attribute.any()?;
            attribute.finish("extra fields in AttributeTypeAndValue")?;
            if oid == OID_OU {
                found.push(directory_string(tag, value));
            }
        }
    }
    match found.as_slice() {
        [ou] if ou == REQUIRED_OU => Ok(()),
        _ => Err(WebauthnError::CertificateSubjectOu { expected: REQUIRED_OU, actual: found }),
    }
}

/// UTF8String and PrintableString as text; anything else as a marker that cannot match.
fn directory_string(tag: u8, value: &[u8]) -> String {
    match (tag, std::str::from_utf8(value)) {
        (der::UTF8_STRING | der::PRINTABLE_STRING, Ok(text)) => text.to_string(),
        _ => format!("<tag 0x{tag:02x}, {} bytes>", value.len()),
    }
}

fn subject_public_key(spki: &[u8]) -> Result<CoseKey, WebauthnError> {
    let mut fields = Reader::new(spki);
    let mut algorithm = Reader::new(fields.tagged(der::SEQUENCE, "AlgorithmIdentifier is not a SEQUENCE")?);
    let key_bits = bit_string(fields.tagged(der::BIT_STRING, "subjectPublicKey is not a BIT STRING")?)?;
    fields.finish("extra fields in SubjectPublicKeyInfo")?;
    let oid = algorithm.tagged(der::OID, "algorithm is not an OID")?;
    let parameters = algorithm.any().ok();
    algorithm.finish("extra fields in AlgorithmIdentifier")?;
    match (oid, parameters) {
        (OID_EC_PUBLIC_KEY, Some((der::OID, OID_P256))) => p256_point(key_bits),
        (OID_RSA_ENCRYPTION, Some((der::NULL, []))) => rsa_public_key(key_bits),
        _ => Err(WebauthnError::CertificateKeyUnsupported),
    }
}

fn bit_string(content: &[u8]) -> Result<&[u8], WebauthnError> {
    match content {
        [0, bits @ ..] => Ok(bits),
        _ => Err(WebauthnError::Der("BIT STRING with unused bits")),
    }
}

fn p256_point(point: &[u8]) -> Result<CoseKey, WebauthnError> {
    let [0x04, coordinates @ ..] = point else {
        return Err(WebauthnError::Der("EC point is not uncompressed"));
    };
    let (x, y) = coordinates.split_at_checked(32).ok_or(WebauthnError::Der("EC point is not 65 bytes"))?;
    match (x.try_into(), y.try_into()) {
        (Ok(x), Ok(y)) => Ok(CoseKey::Es256 { x, y }),
        _ => Err(WebauthnError::Der("EC point is not 65 bytes")),
    }
}

fn rsa_public_key(bits: &[u8]) -> Result<CoseKey, WebauthnError> {
    let mut outer = Reader::new(bits);
    let mut fields = Reader::new(outer.tagged(der::SEQUENCE, "RSAPublicKey is not a SEQUENCE")?);
    outer.finish("bytes after RSAPublicKey")?;
    let n = der::unsigned_integer(fields.tagged(der::INTEGER, "modulus is not an INTEGER")?)?;
    let e = der::unsigned_integer(fields.tagged(der::INTEGER, "publicExponent is not an INTEGER")?)?;
    fields.finish("extra fields in RSAPublicKey")?;
    CoseKey::rsa(n, e)
}

fn extensions(explicit: &[u8]) -> Result<Extensions, WebauthnError> {
    let mut outer = Reader::new(explicit);
    let mut list = Reader::new(outer.tagged(der::SEQUENCE, "Extensions is not a SEQUENCE")?);
    outer.finish("extra bytes in extensions")?;
    let mut found = Extensions::default();
    let mut seen: Vec<&[u8]> = Vec::new();
    while !list.is_empty() {
        let mut extension = Reader::new(list.tagged(der::SEQUENCE, "Extension is not a SEQUENCE")?);
        let oid = extension.tagged(der::OID, "extnID is not an OID")?;
        let critical = extension.optional(der::BOOLEAN)?.map(boolean).transpose()?.unwrap_or(false);
        let value = extension.tagged(der::OCTET_STRING, "extnValue is not an OCTET STRING")?;
        extension.finish("extra fields in Extension")?;
        if seen.contains(&oid) {
            return Err(WebauthnError::Der("repeated extension"));
        }
        seen.push(oid);
        match oid {
            OID_BASIC_CONSTRAINTS => found.basic_constraints_ca = Some(basic_constraints_ca(value)?),
            OID_FIDO_AAGUID => found.aaguid = Some((critical, aaguid_extension(value)?)),
            _ => {}
        }
    }
    Ok(found)
}

fn boolean(content: &[u8]) -> Result<bool, WebauthnError> {
    match content {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(WebauthnError::Der("BOOLEAN is not 0x00 or 0xff")),
    }
}

fn basic_constraints_ca(value: &[u8]) -> Result<bool, WebauthnError> {
    let mut outer = Reader::new(value);
    let mut fields = Reader::new(outer.tagged(der::SEQUENCE, "BasicConstraints is not a SEQUENCE")?);
    outer.finish("bytes after BasicConstraints")?;
    let ca = fields.optional(der::BOOLEAN)?.map(boolean).transpose()?.unwrap_or(false);
    fields.optional(der::INTEGER)?;
    fields.finish("extra fields in BasicConstraints")?;
    Ok(ca)
}

fn aaguid_extension(value: &[u8]) -> Result<Aaguid, WebauthnError> {
    let mut outer = Reader::new(value);
    let inner = outer.tagged(der::OCTET_STRING, "AAGUID extension is not an OCTET STRING")?;
    outer.finish("bytes after AAGUID extension")?;
    inner.try_into().map(Aaguid).map_err(|_| WebauthnError::Der("AAGUID extension is not 16 bytes"))
}

fn check_extensions(extensions: &Extensions, aaguid: &Aaguid) -> Result<(), WebauthnError> {
    match extensions.basic_constraints_ca {
        None => return Err(WebauthnError::CertificateBasicConstraintsMissing),
        Some(true) => return Err(WebauthnError::CertificateIsCa),
        Some(false) => {}
    }
    match extensions.aaguid {
        Some((true, _)) => Err(WebauthnError::CertificateAaguidCritical),
        Some((false, actual)) if actual != *aaguid => {
            Err(WebauthnError::CertificateAaguidMismatch { expected: *aaguid, actual })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{self, CertEdit, Vector};

    fn packed_es256() -> (Vec<u8>, Aaguid) {
        let v = Vector::load("packed-es256");
        (v.x5c_leaf(), Aaguid(v.reg("aaguid").try_into().unwrap()))
    }

    fn edited(edit: CertEdit) -> Result<CoseKey, WebauthnError> {
        let (leaf, aaguid) = packed_es256();
        packed_leaf_key(&testutil::edit_certificate(&leaf, edit), &aaguid)
    }

    #[test]
    fn packed_es256_leaf_certificate_meets_packed_requirements() {
        let (leaf, aaguid) = packed_es256();
        assert!(matches!(packed_leaf_key(&leaf, &aaguid), Ok(CoseKey::Es256 { .. })));
    }

    #[test]
    fn attestation_root_cert_is_refused_for_its_ou() {
        let root = Vector::load("attestation-root-cert").value("root", "attestation_ca_cert");
        let expected = WebauthnError::CertificateSubjectOu {
            expected: REQUIRED_OU,
            actual: vec!["Authenticator Attestation CA".into()],
        };
        assert_eq!(packed_leaf_key(&root, &Aaguid([0; 16])), Err(expected));
    }

    #[test]
    fn aaguid_extension_must_match_and_not_be_critical() {
        let (_, aaguid) = packed_es256();
        assert!(edited(CertEdit::AddAaguid { aaguid: aaguid.0, critical: false }).is_ok());
        let other = Aaguid([0x42; 16]);
        let mismatch = edited(CertEdit::AddAaguid { aaguid: other.0, critical: false });
        assert_eq!(mismatch, Err(WebauthnError::CertificateAaguidMismatch { expected: aaguid, actual: other }));
        assert_eq!(
            edited(CertEdit::AddAaguid { aaguid: aaguid.0, critical: true }),
            Err(WebauthnError::CertificateAaguidCritical)
        );
    }

    #[test]
    fn basic_constraints_must_be_present_and_not_ca() {
        assert_eq!(edited(CertEdit::BasicConstraintsCa), Err(WebauthnError::CertificateIsCa));
        assert_eq!(edited(CertEdit::DropBasicConstraints), Err(WebauthnError::CertificateBasicConstraintsMissing));
    }

    #[test]
    fn version_ou_and_key_type_are_checked() {
        assert_eq!(edited(CertEdit::Version(1)), Err(WebauthnError::CertificateVersion { expected: 3, actual: 2 }));
        assert_eq!(edited(CertEdit::DropVersion), Err(WebauthnError::CertificateVersion { expected: 3, actual: 1 }));
        let wrong_ou = edited(CertEdit::SubjectOu("Authenticator attestation"));
        assert_eq!(
            wrong_ou,
            Err(WebauthnError::CertificateSubjectOu {
                expected: REQUIRED_OU,
                actual: vec!["Authenticator attestation".into()]
            })
        );
        assert_eq!(edited(CertEdit::CurveP384), Err(WebauthnError::CertificateKeyUnsupported));
    }

    #[test]
    fn rsa_leaf_key_is_read_from_its_spki() {
        let n = [vec![0xc5], vec![0x11; 255]].concat();
        let key = edited(CertEdit::RsaKey { n: n.clone(), e: vec![1, 0, 1] });
        assert_eq!(key, Ok(CoseKey::Rs256 { n, e: vec![1, 0, 1] }));
        let padded = edited(CertEdit::RsaKey { n: vec![0x00, 0x11], e: vec![3] });
        assert!(matches!(padded, Err(WebauthnError::Der("non-minimal INTEGER"))));
    }

    #[test]
    fn malformed_or_oversized_certificates_are_refused() {
        let (leaf, aaguid) = packed_es256();
        for len in 0..leaf.len() {
            assert!(matches!(packed_leaf_key(&leaf[..len], &aaguid), Err(WebauthnError::Der(_))), "length {len}");
        }
        let mut trailing = leaf.clone();
        trailing.push(0);
        assert_eq!(packed_leaf_key(&trailing, &aaguid), Err(WebauthnError::Der("bytes after Certificate")));
        let big = vec![0x30; MAX_CERTIFICATE + 1];
        assert!(matches!(packed_leaf_key(&big, &aaguid), Err(WebauthnError::TooLarge { .. })));
    }
}

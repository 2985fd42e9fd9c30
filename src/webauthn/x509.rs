//! The packed attestation certificate requirements (§8.2.1 "Certificate Requirements for
//! Packed Attestation Statements") read from the leaf X.509 certificate (RFC 5280 §4.1):
//! version 3, Subject-OU "Authenticator Attestation", basicConstraints CA false, and the
//! id-fido-gen-ce-aaguid extension, when present, equal to the authenticator data AAGUID.
//! Only the leaf is read; its chain and validity period are the caller's policy. For a SAML
//! IdP's signing certificate, [`certificate_details`] reads the subject (as RFC 4514 text) and
//! the validity period for an admin to see.

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
    validity: &'c [u8],
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
    let validity = tbs.tagged(der::SEQUENCE, "validity is not a SEQUENCE")?;
    let subject = tbs.tagged(der::SEQUENCE, "subject is not a SEQUENCE")?;
    let key = subject_public_key(tbs.tagged(der::SEQUENCE, "subjectPublicKeyInfo is not a SEQUENCE")?)?;
    tbs.optional(CONTEXT_1_IMPLICIT)?;
    tbs.optional(CONTEXT_2_IMPLICIT)?;
    let extensions = tbs.optional(CONTEXT_3)?.map(extensions).transpose()?.unwrap_or_default();
    tbs.finish("extra fields in tbsCertificate")?;
    Ok(Leaf { validity, subject, key, extensions })
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

/// What an admin is shown of a configured certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDetails {
    /// The subject as RFC 4514 text, most specific first: `CN=idp, O=Example, C=US`.
    pub subject: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

impl CertificateDetails {
    /// Whole days from `now_ms` until `notAfter` (negative once expired; 0 on its last day).
    pub fn days_left(&self, now_ms: i64) -> i64 {
        (self.not_after_ms - now_ms).div_euclid(24 * 60 * 60 * 1000)
    }
}

/// The subject and validity period of an X.509 v3 certificate with a P-256 or RSA key.
pub fn certificate_details(certificate: &[u8]) -> Result<CertificateDetails, WebauthnError> {
    let leaf = read_leaf(certificate)?;
    let mut validity = Reader::new(leaf.validity);
    let not_before_ms = time(&mut validity)?;
    let not_after_ms = time(&mut validity)?;
    validity.finish("extra fields in validity")?;
    Ok(CertificateDetails { subject: distinguished_name(leaf.subject)?, not_before_ms, not_after_ms })
}

/// A `Time` (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` (years 1950–2049) or
/// GeneralizedTime `YYYYMMDDHHMMSSZ`, as Unix milliseconds.
fn time(validity: &mut Reader<'_>) -> Result<i64, WebauthnError> {
    let bad = WebauthnError::Der("validity time is not UTCTime or GeneralizedTime in Z");
    let (tag, content) = validity.any()?;
    let text = std::str::from_utf8(content).map_err(|_| bad.clone())?;
    let digits = text.strip_suffix('Z').filter(|d| d.bytes().all(|b| b.is_ascii_digit())).ok_or(bad.clone())?;
    let full = match (tag, digits.len()) {
        (der::UTC_TIME, 12) => format!("{}{digits}", if digits < "50" { "20" } else { "19" }),
        (der::GENERALIZED_TIME, 14) => digits.to_string(),
        _ => return Err(bad),
    };
    let (y, m, d, hh, mm, ss) = (&full[0..4], &full[4..6], &full[6..8], &full[8..10], &full[10..12], &full[12..14]);
    crate::time::parse(&format!("{y}-{m}-{d}T{hh}:{mm}:{ss}Z")).map_err(|_| bad)
}

/// Short names of the attribute types a certificate subject usually carries (RFC 4514 §3).
const NAMES: &[(&[u8], &str)] = &[
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x05], "serialNumber"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x0a], "O"),
    (OID_OU, "OU"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], "emailAddress"),
    (&[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19], "DC"),
];

/// A Name as RFC 4514 text: RDNs most specific (last) first, `, ` between them, `+` inside one.
fn distinguished_name(name: &[u8]) -> Result<String, WebauthnError> {
    let mut rdns: Vec<String> = name_attributes(name)?
        .iter()
        .map(|rdn| {
            let parts = rdn.iter().map(|(oid, tag, value)| {
                let label = NAMES.iter().find(|(o, _)| o == oid).map_or_else(|| dotted(oid), |(_, n)| n.to_string());
                format!("{label}={}", escape(&any_string(*tag, value)))
            });
            parts.collect::<Vec<_>>().join("+")
        })
        .collect();
    rdns.reverse();
    Ok(rdns.join(", "))
}

/// One attribute of a Name: its type OID, its value's tag and its value.
type NameAttribute<'a> = (&'a [u8], u8, &'a [u8]);

/// The attributes of a Name (RFC 5280 §4.1.2.4), RDN by RDN in DER order.
fn name_attributes(name: &[u8]) -> Result<Vec<Vec<NameAttribute<'_>>>, WebauthnError> {
    let mut rdns = Vec::new();
    let mut reader = Reader::new(name);
    while !reader.is_empty() {
        let mut attributes = Reader::new(reader.tagged(der::SET, "RelativeDistinguishedName is not a SET")?);
        let mut rdn = Vec::new();
        while !attributes.is_empty() {
            let mut attribute =
                Reader::new(attributes.tagged(der::SEQUENCE, "AttributeTypeAndValue is not a SEQUENCE")?);
            let oid = attribute.tagged(der::OID, "attribute type is not an OID")?;
            let (tag, value) = attribute.any()?;
            attribute.finish("extra fields in AttributeTypeAndValue")?;
            rdn.push((oid, tag, value));
        }
        rdns.push(rdn);
    }
    Ok(rdns)
}

/// An OID as dotted decimal (for attribute types without a short name).
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for byte in oid {
        value = value.saturating_mul(128).saturating_add(u64::from(byte & 0x7f));
        if byte & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let first = arcs.first().copied().unwrap_or(0);
    let (a, b) = if first < 80 { (first / 40, first % 40) } else { (2, first - 80) };
    let rest = arcs.iter().skip(1).map(|arc| format!(".{arc}")).collect::<String>();
    format!("{a}.{b}{rest}")
}

/// A directory string's text: UTF8String, PrintableString, IA5String, TeletexString (as
/// Latin-1) and BMPString; anything else as a marker.
fn any_string(tag: u8, value: &[u8]) -> String {
    match tag {
        der::IA5_STRING | der::TELETEX_STRING => value.iter().map(|b| char::from(*b)).collect(),
        der::BMP_STRING => {
            let units = value.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
        }
        _ => directory_string(tag, value),
    }
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let edge = (i == 0 && (c == ' ' || c == '#')) || (i == last && c == ' ');
        if edge || "\\\",+;<>".contains(c) {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
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
    let found: Vec<String> = name_attributes(subject)?
        .into_iter()
        .flatten()
        .filter(|(oid, _, _)| *oid == OID_OU)
        .map(|(_, tag, value)| directory_string(tag, value))
        .collect();
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

    fn fixture(pem: &str) -> Vec<u8> {
        use base64::Engine as _;
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD.decode(body).unwrap()
    }

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;

    #[test]
    fn saml_fixture_certificates_show_subject_and_validity() {
        // `openssl x509 -noout -subject -dates -nameopt RFC2253` of the same files.
        let rsa =
            certificate_details(&fixture(include_str!("../../tests/fixtures/saml/keys/idp-rsa.crt.pem"))).unwrap();
        assert_eq!(rsa.subject, "CN=idp.example.test signing, O=AxisSynapse test fixtures, C=US");
        assert_eq!(rsa.not_before_ms, crate::time::parse("2026-01-01T00:00:00Z").unwrap());
        assert_eq!(rsa.not_after_ms, crate::time::parse("2036-01-01T00:00:00Z").unwrap());
        let ec = certificate_details(&fixture(include_str!("../../tests/fixtures/saml/dsig/p256.cert.pem"))).unwrap();
        assert_eq!(ec.subject, "CN=AxisSynapse test IdP (p256)");
        assert_eq!(ec.not_after_ms, crate::time::parse("2045-01-01T00:00:00Z").unwrap());
    }

    #[test]
    fn days_left_counts_whole_days_and_goes_negative_once_expired() {
        let cert = CertificateDetails { subject: String::new(), not_before_ms: 0, not_after_ms: 40 * DAY_MS };
        assert_eq!(cert.days_left(10 * DAY_MS), 30);
        assert_eq!(cert.days_left(10 * DAY_MS + 1), 29);
        assert_eq!(cert.days_left(40 * DAY_MS - 1), 0);
        assert_eq!(cert.days_left(40 * DAY_MS), 0);
        assert_eq!(cert.days_left(40 * DAY_MS + 1), -1);
    }

    #[test]
    fn validity_times_are_utc_or_generalized_time_in_z() {
        let read = |tag: u8, text: &str| {
            let bytes = [&[tag, text.len() as u8][..], text.as_bytes()].concat();
            time(&mut Reader::new(&bytes))
        };
        assert_eq!(read(der::UTC_TIME, "491231235959Z"), Ok(crate::time::parse("2049-12-31T23:59:59Z").unwrap()));
        assert_eq!(read(der::UTC_TIME, "500101000000Z"), Ok(crate::time::parse("1950-01-01T00:00:00Z").unwrap()));
        assert_eq!(
            read(der::GENERALIZED_TIME, "20510101000000Z"),
            Ok(crate::time::parse("2051-01-01T00:00:00Z").unwrap())
        );
        for (tag, bad) in [
            (der::UTC_TIME, "4912312359Z"),
            (der::UTC_TIME, "491231235959+0100"),
            (der::GENERALIZED_TIME, "491231235959Z"),
            (der::UTC_TIME, "491331235959Z"),
            (der::INTEGER, "491231235959Z"),
        ] {
            assert!(matches!(read(tag, bad), Err(WebauthnError::Der(_))), "{bad}");
        }
    }

    #[test]
    fn subjects_render_as_rfc_4514_text() {
        let rdn = |oid: &[u8], tag: u8, value: &[u8]| {
            let atv = [&[der::OID, oid.len() as u8][..], oid, &[tag, value.len() as u8], value].concat();
            let seq = [&[der::SEQUENCE, atv.len() as u8][..], &atv].concat();
            [&[der::SET, seq.len() as u8][..], &seq].concat()
        };
        let name = [
            rdn(&[0x55, 0x04, 0x06], der::PRINTABLE_STRING, b"DE"),
            rdn(&[0x55, 0x04, 0x0a], der::UTF8_STRING, "Ex, \"Ä\" AG".as_bytes()),
            rdn(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37], der::IA5_STRING, b" #x "),
            rdn(&[0x55, 0x04, 0x03], der::BMP_STRING, &[0x00, 0x49, 0x00, 0x64, 0x00, 0x50]),
        ]
        .concat();
        assert_eq!(distinguished_name(&name).unwrap(), "CN=IdP, 1.3.6.1.4.1.311=\\ #x\\ , O=Ex\\, \\\"Ä\\\" AG, C=DE");
        assert!(distinguished_name(&[der::SEQUENCE, 0]).is_err());
    }

    #[test]
    fn truncated_certificates_have_no_details() {
        let der = fixture(include_str!("../../tests/fixtures/saml/keys/idp-rsa.crt.pem"));
        for len in 0..der.len() {
            assert!(certificate_details(&der[..len]).is_err(), "length {len}");
        }
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

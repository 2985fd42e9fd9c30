//! Test support: the §16 test-vector fixtures, CBOR and DER builders for tampered inputs, and
//! a host-side stand-in for Web Crypto that verifies [`SignatureCheck`]s with pure-Rust crates.

use super::attestation::AttestationObject;
use super::{CoseKey, SignatureCheck};
use ciborium::value::Value;

pub(super) fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

pub(super) fn cbor_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

/// `{fmt, attStmt, authData}` with the given statement members.
pub(super) fn attestation_object(fmt: &str, statement: Vec<(&str, Value)>, auth_data: &[u8]) -> Vec<u8> {
    let statement = statement.into_iter().map(|(k, v)| (Value::from(k), v)).collect();
    cbor_bytes(&Value::Map(vec![
        (Value::from("fmt"), Value::from(fmt)),
        (Value::from("attStmt"), Value::Map(statement)),
        (Value::from("authData"), Value::Bytes(auth_data.to_vec())),
    ]))
}

/// One fixture file of `tests/fixtures/webauthn/` (see its README.md).
pub(super) struct Vector {
    json: serde_json::Value,
}

impl Vector {
    pub(super) fn load(name: &str) -> Self {
        let path = format!("{}/tests/fixtures/webauthn/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Vector { json: serde_json::from_str(&text).unwrap() }
    }

    pub(super) fn value(&self, block: &str, key: &str) -> Vec<u8> {
        hex(self.json[block][key].as_str().unwrap_or_else(|| panic!("no {block}.{key}")))
    }

    pub(super) fn reg(&self, key: &str) -> Vec<u8> {
        self.value("registration", key)
    }

    pub(super) fn auth(&self, key: &str) -> Vec<u8> {
        self.value("authentication", key)
    }

    pub(super) fn registration_auth_data(&self) -> Vec<u8> {
        AttestationObject::from_cbor(&self.reg("attestationObject")).unwrap().raw_auth_data
    }

    /// The registration's attStmt members, for rebuilding a tampered object.
    pub(super) fn statement(&self) -> Vec<(String, Value)> {
        let value: Value = ciborium::de::from_reader(self.reg("attestationObject").as_slice()).unwrap();
        let object = value.into_map().unwrap();
        let (_, statement) = object.into_iter().find(|(k, _)| k.as_text() == Some("attStmt")).unwrap();
        statement.into_map().unwrap().into_iter().map(|(k, v)| (k.into_text().unwrap(), v)).collect()
    }

    pub(super) fn x5c_leaf(&self) -> Vec<u8> {
        let (_, x5c) = self.statement().into_iter().find(|(k, _)| k == "x5c").unwrap();
        x5c.into_array().unwrap().remove(0).into_bytes().unwrap()
    }
}

/// Verifies a check as Web Crypto would (p256, rsa with its own sha2, ed25519-dalek).
pub(crate) fn verify(check: &SignatureCheck) -> bool {
    match &check.key {
        CoseKey::Es256 { x, y } => {
            use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
            let point = [&[0x04][..], x, y].concat();
            let (Ok(key), Ok(signature)) =
                (VerifyingKey::from_sec1_bytes(&point), Signature::from_slice(&check.signature))
            else {
                return false;
            };
            key.verify(&check.message, &signature).is_ok()
        }
        CoseKey::Rs256 { n, e } => {
            use rsa::pkcs1v15::{Signature, VerifyingKey};
            use rsa::signature::Verifier;
            let Ok(key) = rsa::RsaPublicKey::new(rsa::BigUint::from_bytes_be(n), rsa::BigUint::from_bytes_be(e)) else {
                return false;
            };
            let Ok(signature) = Signature::try_from(check.signature.as_slice()) else {
                return false;
            };
            VerifyingKey::<rsa::sha2::Sha256>::new(key).verify(&check.message, &signature).is_ok()
        }
        CoseKey::EdDsa { x } => {
            let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(x) else {
                return false;
            };
            let Ok(signature) = ed25519_dalek::Signature::from_slice(&check.signature) else {
                return false;
            };
            key.verify_strict(&check.message, &signature).is_ok()
        }
    }
}

/// An edit to the §16 packed-es256 leaf certificate (its signature is left stale: the core
/// does not verify certificate signatures).
pub(super) enum CertEdit {
    Version(u8),
    DropVersion,
    SubjectOu(&'static str),
    CurveP384,
    RsaKey { n: Vec<u8>, e: Vec<u8> },
    BasicConstraintsCa,
    DropBasicConstraints,
    AddAaguid { aaguid: [u8; 16], critical: bool },
}

const OID_OU: &[u8] = &[0x55, 0x04, 0x0b];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_FIDO_AAGUID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x04];

pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// Splits DER content into its elements, each with its own header.
fn elements(mut content: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (header, length) = match content[1] {
            n if n < 0x80 => (2, n as usize),
            0x81 => (3, content[2] as usize),
            _ => (4, (content[2] as usize) << 8 | content[3] as usize),
        };
        out.push(content[..header + length].to_vec());
        content = &content[header + length..];
    }
    out
}

fn inner(element: &[u8]) -> Vec<u8> {
    let header = match element[1] {
        n if n < 0x80 => 2,
        0x81 => 3,
        _ => 4,
    };
    element[header..].to_vec()
}

fn oid_of(element: &[u8]) -> Vec<u8> {
    inner(&elements(&inner(element))[0])
}

pub(super) fn edit_certificate(certificate: &[u8], edit: CertEdit) -> Vec<u8> {
    let cert = elements(&inner(certificate));
    let mut tbs = elements(&inner(&cert[0]));
    match edit {
        CertEdit::Version(v) => tbs[0] = tlv(0xa0, &tlv(0x02, &[v])),
        CertEdit::DropVersion => {
            tbs.remove(0);
        }
        CertEdit::SubjectOu(ou) => {
            let attribute = tlv(0x31, &tlv(0x30, &[tlv(0x06, OID_OU), tlv(0x0c, ou.as_bytes())].concat()));
            let subject: Vec<Vec<u8>> = elements(&inner(&tbs[5]))
                .into_iter()
                .map(|rdn| if oid_of(&elements(&inner(&rdn))[0]) == OID_OU { attribute.clone() } else { rdn })
                .collect();
            tbs[5] = tlv(0x30, &subject.concat());
        }
        CertEdit::CurveP384 => {
            let key = elements(&inner(&tbs[6]));
            let algorithm = tlv(
                0x30,
                &[tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), tlv(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x22])]
                    .concat(),
            );
            tbs[6] = tlv(0x30, &[algorithm, key[1].clone()].concat());
        }
        CertEdit::RsaKey { n, e } => {
            let algorithm = tlv(
                0x30,
                &[tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]), tlv(0x05, &[])].concat(),
            );
            let integer = |b: &[u8]| {
                if b[0] & 0x80 != 0 {
                    tlv(0x02, &[&[0][..], b].concat())
                } else {
                    tlv(0x02, b)
                }
            };
            let key = tlv(0x30, &[integer(&n), integer(&e)].concat());
            tbs[6] = tlv(0x30, &[algorithm, tlv(0x03, &[&[0][..], &key].concat())].concat());
        }
        CertEdit::BasicConstraintsCa | CertEdit::DropBasicConstraints | CertEdit::AddAaguid { .. } => {
            let last = tbs.len() - 1;
            tbs[last] = edit_extensions(&tbs[last], edit);
        }
    }
    let tbs = tlv(0x30, &tbs.concat());
    tlv(0x30, &[tbs, cert[1].clone(), cert[2].clone()].concat())
}

fn edit_extensions(explicit: &[u8], edit: CertEdit) -> Vec<u8> {
    let mut list: Vec<Vec<u8>> = elements(&inner(&elements(&inner(explicit))[0]));
    let ca_true = tlv(
        0x30,
        &[tlv(0x06, OID_BASIC_CONSTRAINTS), tlv(0x01, &[0xff]), tlv(0x04, &tlv(0x30, &tlv(0x01, &[0xff])))].concat(),
    );
    let is_basic = |e: &Vec<u8>| oid_of(e) == OID_BASIC_CONSTRAINTS;
    match edit {
        CertEdit::BasicConstraintsCa => list.iter_mut().filter(|e| is_basic(e)).for_each(|e| *e = ca_true.clone()),
        CertEdit::DropBasicConstraints => list.retain(|e| !is_basic(e)),
        CertEdit::AddAaguid { aaguid, critical } => {
            let flag = if critical { tlv(0x01, &[0xff]) } else { Vec::new() };
            list.push(tlv(0x30, &[tlv(0x06, OID_FIDO_AAGUID), flag, tlv(0x04, &tlv(0x04, &aaguid))].concat()));
        }
        _ => unreachable!(),
    }
    tlv(0xa3, &tlv(0x30, &list.concat()))
}

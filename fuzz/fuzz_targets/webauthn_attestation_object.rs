//! `AttestationObject::from_cbor` on arbitrary bytes and, when it decodes, `verify` against
//! an all-zero clientDataHash (§6.5.4 attestation object, §8.2 packed incl. the §8.2.1
//! certificate checks via the DER/X.509 reader, §8.7 none). Neither may panic.
#![no_main]

use axissynapse_edge::webauthn::AttestationObject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(object) = AttestationObject::from_cbor(data) else {
        return;
    };
    if let Ok(attestation) = object.verify(&[0u8; 32]) {
        assert_eq!(attestation.fmt, object.fmt);
        for check in &attestation.checks {
            let _ = check.key.to_jwk();
        }
    }
});

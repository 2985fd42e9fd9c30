//! `CoseKey::from_cbor` on arbitrary bytes (COSE_Key of §6.5.1.1, RFC 9052 §7). Must return
//! `Ok` or `Err`, never panic; an accepted key must also convert to its Web Crypto import
//! form (JWK and algorithm object) without panicking.
#![no_main]

use axissynapse_edge::webauthn::CoseKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = CoseKey::from_cbor(data) else {
        return;
    };
    assert!(matches!(key.alg(), -7 | -8 | -257), "alg {}", key.alg());
    let jwk = key.to_jwk();
    assert!(jwk.get("kty").is_some());
    let _ = key.web_crypto_algorithm();
});

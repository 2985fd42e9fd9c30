//! The Auth.js session cookie JWE (`session::jwe`).
//!
//! 1. `decrypt(token, &[7u8; 64])` on every UTF-8 input: header base64url / JSON / `alg` /
//!    `enc` / `kid` checks, part lengths, the A256CBC-HS512 tag. Must never panic.
//! 2. Round trip on every input: the first 16 bytes are the IV and the rest the plaintext;
//!    `decrypt(encrypt(plaintext)) == plaintext` whenever the token fits the 4096-byte limit.
//!    This reaches the CBC decrypt / PKCS#7 unpadding that (1) cannot get past the tag to.
#![no_main]

use axissynapse_edge::session::jwe::{decrypt, encrypt, MAX_TOKEN_LEN};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 64] = [7u8; 64];

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = decrypt(token, &KEY);
    }

    let (iv, plaintext) = data.split_at(data.len().min(16));
    let mut iv_bytes = [0u8; 16];
    iv_bytes[..iv.len()].copy_from_slice(iv);
    let token = encrypt(plaintext, &KEY, iv_bytes);
    if token.len() <= MAX_TOKEN_LEN {
        assert_eq!(decrypt(&token, &KEY).as_deref(), Ok(plaintext));
    }
});

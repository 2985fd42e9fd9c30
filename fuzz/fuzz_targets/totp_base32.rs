//! TOTP secrets and codes (`stepup::totp`).
//!
//! The input, when UTF-8, is read as up to five newline-separated fields:
//! `<base32 secret>\n<code>\n<unix seconds>\n<window>\n<last used step>` (missing or
//! non-numeric numbers count as 0, an empty or non-numeric last step as none).
//! * `base32_decode` on the whole text and on the secret field; an accepted secret must
//!   re-encode (`base32_encode`) to its symbols, upper-cased, spaces removed — the canonical
//!   form the decoder's doc promises to insist on;
//! * `verify(secret, code, unix_secs, window, last_used_step)` with the decoded secret (or
//!   the field's raw bytes when it is not base32); a returned step must lie within the
//!   clamped window and after `last_used_step`.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::stepup::totp::{base32_decode, base32_encode, verify, MAX_WINDOW, STEP_SECS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = base32_decode(text);

    let mut fields = text.splitn(5, '\n');
    let secret_text = fields.next().unwrap_or("");
    let code = fields.next().unwrap_or("");
    let unix_secs: u64 = fields
        .next()
        .and_then(|f| f.trim().parse().ok())
        .unwrap_or(0);
    let window: u64 = fields
        .next()
        .and_then(|f| f.trim().parse().ok())
        .unwrap_or(0);
    let last_used_step: Option<u64> = fields.next().and_then(|f| f.trim().parse().ok());

    let secret = match base32_decode(secret_text) {
        Some(bytes) => {
            let canonical: String = secret_text
                .chars()
                .filter(|c| *c != ' ')
                .map(|c| c.to_ascii_uppercase())
                .collect();
            assert_eq!(base32_encode(&bytes), canonical, "base32 round trip");
            bytes
        }
        None => secret_text.as_bytes().to_vec(),
    };

    if let Ok(step) = verify(&secret, code, unix_secs, window, last_used_step) {
        let now = unix_secs / STEP_SECS;
        let window = window.min(MAX_WINDOW);
        assert!(step >= now.saturating_sub(window) && step <= now.saturating_add(window));
        assert!(last_used_step.is_none_or(|last| step > last));
    }
});

//! Signed audit checkpoints (issue 20) against the real worker: the published keys, a
//! checkpoint on demand (signed through Web Crypto, verified here with pure-Rust Ed25519),
//! listed, audited and delivered to a webhook subscriber; exports carrying their checkpoint,
//! checked offline by both verifiers (`audit-verify` and `docs/audit_verify.py`), which catch a
//! tampered byte, and the CSV sidecar.
//!
//! The worker runs with the keys `scripts/wrangler-local.sh` `test_audit_keys` makes: `e2e-2025`
//! (closed on 2026-01-01), `e2e-2026` (current) and the retired public-only `e2e-2024`.

use crate::common::receiver;
use crate::common::*;
use axissynapse_edge::audit::checkpoint::{self, keys_from_jwks, PublicKey, SignedCheckpoint};
use serde_json::{json, Value};
use std::process::Command;

const CHECKPOINTS: &str = "/api/settings/audit-log/checkpoints";
const EXPORT: &str = "/api/settings/audit-log/export";
const KEYS: &str = "/api/developers/audit-keys.json";
const BULK_ADMIN: &str = "admin@bulk.test";

fn published_keys() -> (Value, Vec<PublicKey>) {
    let jwks = req("GET", KEYS).send().ok();
    let keys = keys_from_jwks(&jwks).expect("the published JWKS parses");
    (jwks, keys)
}

/// Verifies `cp` (a checkpoint's JSON, unsigned members and all) under the published keys.
fn assert_signed(cp: &Value, keys: &[PublicKey]) -> SignedCheckpoint {
    let signed = SignedCheckpoint::from_json(cp).unwrap_or_else(|e| panic!("checkpoint JSON ({e}): {cp}"));
    checkpoint::verify(&signed, keys, checkpoint::verify_ed25519).unwrap_or_else(|e| panic!("{e:?}: {cp}"));
    assert_eq!(signed.checkpoint.key_id, "e2e-2026", "signed by the key valid now");
    signed
}

#[test]
fn audit_keys_json_publishes_every_key_with_its_window_and_never_a_private_half() {
    let resp = req("GET", KEYS).send();
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.header("cache-control").is_some_and(|c| c.contains("max-age")), "{:?}", resp.headers);
    let jwks = resp.json();
    let keys = jwks["keys"].as_array().unwrap();
    let by_kid = |kid: &str| keys.iter().find(|k| k["kid"] == kid).unwrap_or_else(|| panic!("no {kid}: {jwks}"));
    for k in keys {
        assert_eq!(
            (k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str()),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        assert!(k.get("d").is_none(), "a private key is published: {k}");
    }
    assert_eq!(by_kid("e2e-2025")["notAfter"], "2026-01-01T00:00:00.000Z");
    assert_eq!(by_kid("e2e-2026")["notBefore"], "2026-01-01T00:00:00.000Z");
    assert!(by_kid("e2e-2026").get("notAfter").is_none(), "the current key is open-ended");
    assert_eq!(by_kid("e2e-2024")["notAfter"], "2025-01-01T00:00:00.000Z", "a retired key stays published");
    assert_eq!(keys.len(), 3);
}

#[test]
fn a_checkpoint_on_demand_is_signed_listed_audited_and_witnessed_by_a_webhook() {
    let s = login(BULK_ADMIN);
    let (mut hook, _) = receiver::subscribed(&s, "checkpoints", &["AUDIT_CHECKPOINT_SIGNED"]);
    let (_, keys) = published_keys();

    let before = req("GET", "/api/settings/audit-log/verify").session(&s).send().ok();
    let resp = req("POST", CHECKPOINTS).session(&s).send();
    assert_eq!(resp.status, 201, "{}", resp.body);
    let cp = resp.json();
    let signed = assert_signed(&cp, &keys);
    assert_eq!(signed.checkpoint.workspace_id, "ws_bulk");
    assert!(signed.checkpoint.seq >= before["headSeq"].as_i64().unwrap(), "{cp} vs {before}");
    assert_eq!(cp["source"], "api");
    let id = cp["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ckp_"), "{id}");

    // The signed hash is the ledger's row at that seq.
    let cursor = axissynapse_edge::audit::query::Cursor { before_seq: signed.checkpoint.seq + 1 }.encode();
    let page = req("GET", &format!("/api/settings/audit-log?limit=1&cursor={cursor}")).session(&s).send().ok();
    assert_eq!(page["items"][0]["seq"], signed.checkpoint.seq);
    assert_eq!(page["items"][0]["hash"].as_str(), Some(signed.checkpoint.hash.as_str()));

    // Audited: its own ledger row, whose data is the checkpoint.
    let rows = req("GET", &format!("/api/settings/audit-log?resourceId={id}")).session(&s).send().ok();
    let row = &rows["items"][0];
    assert_eq!(row["action"], "AUDIT_CHECKPOINT_SIGNED", "{rows}");
    assert_eq!(row["resource"], json!({"type": "audit_checkpoint", "id": id}));
    assert_eq!(row["actor"], json!({"type": "user", "id": "u_bulk_admin"}));
    assert_eq!(row["data"], cp);
    assert!(row["seq"].as_i64().unwrap() > signed.checkpoint.seq, "the checkpoint's row comes after its head");

    // Listed, newest first, paged by cursor.
    let list = req("GET", &format!("{CHECKPOINTS}?limit=100")).session(&s).send().ok();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.iter().find(|c| c["id"] == id.as_str()), Some(&cp), "{list}");
    let times: Vec<&str> = items.iter().map(|c| c["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    let first = req("GET", &format!("{CHECKPOINTS}?limit=1")).session(&s).send().ok();
    let next = first["nextCursor"].as_str().expect("more than one checkpoint: a second page");
    let second = req("GET", &format!("{CHECKPOINTS}?limit=1&cursor={next}")).session(&s).send().ok();
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    for bad in ["0", "101", "x"] {
        req("GET", &format!("{CHECKPOINTS}?limit={bad}")).session(&s).send().expect_error(400, "ValidationError");
    }

    // A SIEM subscribed to the event holds the checkpoint, signed, as an independent witness.
    let delivered = hook.wait_for("the checkpoint event", 30, |r| r.iter().any(|d| d["data"]["id"] == id.as_str()));
    let d = delivered.iter().find(|d| d["data"]["id"] == id.as_str()).unwrap();
    assert_eq!(d["type"], "AUDIT_CHECKPOINT_SIGNED");
    assert_eq!(d["verified"], json!([true]), "{d}");
    assert_signed(&d["data"], &keys);
    hook.stop();
}

/// Runs one verifier over files in a fresh directory: (exit code, stdout + stderr).
fn run_verifier(python: bool, files: &[(&str, &[u8])], args: &[&str]) -> (i32, String) {
    let dir = format!("{}/verify-{}", env("AXIS_STATE"), std::process::id());
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(format!("{dir}/{name}"), bytes).unwrap();
    }
    let mut cmd = if python {
        let mut c = Command::new(env("AXIS_PYTHON"));
        c.arg(std::fs::canonicalize("docs/audit_verify.py").unwrap());
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_audit-verify"))
    };
    let out = cmd.args(args).current_dir(&dir).output().expect("the verifier runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn export(s: &Session, query: &str) -> Resp {
    let resp = req("GET", &format!("{EXPORT}?{query}")).session(s).send();
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp
}

/// The export with one field of its `line`-th line (0-based) changed: `from` becomes `to`.
fn tamper(body: &str, line: usize, from: &str, to: &str) -> Vec<u8> {
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    assert!(lines[line].contains(from), "{from} not in {}", lines[line]);
    lines[line] = lines[line].replacen(from, to, 1);
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn a_50000_row_export_verifies_offline_with_both_verifiers_and_a_changed_byte_is_caught() {
    let s = login(BULK_ADMIN);
    let earlier = req("POST", CHECKPOINTS).session(&s).send().ok();
    let (jwks, keys) = published_keys();
    let keys_file = jwks.to_string();

    let out = export(&s, "format=ndjson");
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("50000"));
    let body = out.body.clone();
    let last: Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
    assert_eq!(last["export"], json!({"filters": {}, "order": "newest-first"}));
    let signed = assert_signed(&last, &keys);
    assert_eq!(out.header("x-axissynapse-audit-checkpoint-id"), last["id"].as_str());
    let header: Value = serde_json::from_str(out.header("x-axissynapse-audit-checkpoint").unwrap()).unwrap();
    assert_eq!(header, last, "the header and the last line carry the same checkpoint");
    let newest: Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(newest["seq"].as_i64(), Some(signed.checkpoint.seq), "the export starts at the signed head");

    let earlier_file = earlier.to_string();
    for python in [false, true] {
        let files: [(&str, &[u8]); 3] = [
            ("export.ndjson", body.as_bytes()),
            ("keys.json", keys_file.as_bytes()),
            ("earlier.json", earlier_file.as_bytes()),
        ];
        let (code, text) =
            run_verifier(python, &files, &["export.ndjson", "--keys", "keys.json", "--checkpoint", "earlier.json"]);
        assert_eq!(code, 0, "python={python}: {text}");
        assert!(text.contains("50000"), "python={python}: {text}");

        // One byte of one row changed (its year), 1,234 rows below the head.
        let forged = tamper(&body, 1234, "\"occurredAt\":\"2026-", "\"occurredAt\":\"2027-");
        let files: [(&str, &[u8]); 2] = [("export.ndjson", &forged), ("keys.json", keys_file.as_bytes())];
        let (code, text) = run_verifier(python, &files, &["export.ndjson", "--keys", "keys.json"]);
        assert_eq!(code, 1, "python={python}: {text}");
        assert!(text.contains(&format!("seq {}", signed.checkpoint.seq - 1234)), "python={python}: {text}");
    }
}

#[test]
fn a_csv_export_carries_its_checkpoint_in_a_header_and_a_sidecar_download() {
    let s = login(BULK_ADMIN);
    let out = export(&s, "format=csv&action=ACCOUNT_SIGNIN_FAILED");
    let header: Value =
        serde_json::from_str(out.header("x-axissynapse-audit-checkpoint").expect("checkpoint header")).unwrap();
    let (jwks, keys) = published_keys();
    let signed = assert_signed(&header, &keys);
    assert_eq!(header["export"]["filters"], json!({"action": "ACCOUNT_SIGNIN_FAILED"}));
    assert_eq!(header["source"], "export");

    // The sidecar: the stored checkpoint at that head, as a download.
    let seq = signed.checkpoint.seq;
    let sidecar = req("GET", &format!("{EXPORT}?format=checkpoint&seq={seq}")).session(&s).send();
    assert_eq!(sidecar.status, 200, "{}", sidecar.body);
    assert!(
        sidecar.header("content-disposition").is_some_and(|d| d.contains(".checkpoint.json")),
        "{:?}",
        sidecar.headers
    );
    let stored = sidecar.json();
    assert_eq!(stored["seq"], seq);
    assert_signed(&stored, &keys);
    req("GET", &format!("{EXPORT}?format=checkpoint&seq=x")).session(&s).send().expect_error(400, "ValidationError");
    req("GET", &format!("{EXPORT}?format=csv&seq={seq}")).session(&s).send().expect_error(400, "ValidationError");
    req("GET", &format!("{EXPORT}?format=checkpoint&seq=99999999")).session(&s).send().expect_error(404, "NotFound");

    // Both verifiers check the CSV with its checkpoint, in filtered mode.
    let header_file = header.to_string();
    let keys_file = jwks.to_string();
    for python in [false, true] {
        let files: [(&str, &[u8]); 3] = [
            ("export.csv", out.body.as_bytes()),
            ("keys.json", keys_file.as_bytes()),
            ("cp.json", header_file.as_bytes()),
        ];
        let (code, text) =
            run_verifier(python, &files, &["export.csv", "--keys", "keys.json", "--export-checkpoint", "cp.json"]);
        assert_eq!(code, 0, "python={python}: {text}");
        assert!(text.to_lowercase().contains("filtered"), "python={python}: {text}");
    }
}

#[test]
fn members_cannot_sign_or_list_checkpoints() {
    let m = login(MEMBER);
    req("POST", CHECKPOINTS).session(&m).send().expect_error(403, "Forbidden");
    req("GET", CHECKPOINTS).session(&m).send().expect_error(403, "Forbidden");
    req("POST", CHECKPOINTS).send().expect_error(401, "Unauthorized");
}

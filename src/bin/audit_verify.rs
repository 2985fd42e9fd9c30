//! `audit-verify`: checks an audit export (NDJSON or CSV) offline, without trusting the service.
//!
//! Usage: `audit-verify EXPORT --keys AUDIT-KEYS.json [--export-checkpoint CHECKPOINT.json]
//! [--checkpoint EARLIER.json]`
//!
//! `EXPORT` is `GET /api/settings/audit-log/export?format=ndjson` (ending with its checkpoint
//! line) or `?format=csv` (recognised by its header line, whatever the file is called; its
//! checkpoint is the `?format=checkpoint` download, given as `--export-checkpoint`, which is
//! refused for an NDJSON export that carries its own). `AUDIT-KEYS.json` is the JWKS of
//! `GET /api/developers/audit-keys.json`; `EARLIER.json` is a checkpoint kept from before (an
//! earlier export's, or a webhook's `AUDIT_CHECKPOINT_SIGNED`), which the export's checkpoint
//! must extend. Rows may be newest first or oldest first; a filtered export (non-empty
//! `export.filters` in its checkpoint) has its rows verified individually and its gaps listed.
//! See `docs/audit-verification.md` and `axissynapse_edge::audit::verify_export`.
//!
//! Exit status: 0 verified (the report says what was proven); 1 the export does not verify (the
//! line names the first bad `seq` and what is wrong); 2 usage, an unreadable file or one that
//! does not parse.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (code, message) = host::run(&args, |path| std::fs::read_to_string(path).map_err(|e| e.to_string()));
    if code == 0 {
        println!("{message}");
    } else {
        eprintln!("{message}");
    }
    std::process::exit(code);
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    use axissynapse_edge::audit::checkpoint::{keys_from_jwks, verify_ed25519, PublicKey, SignedCheckpoint};
    use axissynapse_edge::audit::csv_read::{is_csv, parse_csv};
    use axissynapse_edge::audit::verify_export::{parse_ndjson, verify_export, ExportCheckpoint, ExportRow};

    const USAGE: &str = "usage: audit-verify EXPORT --keys AUDIT-KEYS.json [--export-checkpoint CHECKPOINT.json] [--checkpoint EARLIER.json]";

    struct Args<'a> {
        export: &'a str,
        keys: &'a str,
        export_checkpoint: Option<&'a str>,
        earlier: Option<&'a str>,
    }

    fn parse_args(args: &[String]) -> Result<Args<'_>, String> {
        let (mut export, mut keys, mut export_checkpoint, mut earlier) = (None, None, None, None);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let slot = match a.as_str() {
                "--keys" => &mut keys,
                "--export-checkpoint" => &mut export_checkpoint,
                "--checkpoint" => &mut earlier,
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}\n{USAGE}")),
                path => {
                    if export.replace(path).is_some() {
                        return Err(format!("more than one export file\n{USAGE}"));
                    }
                    continue;
                }
            };
            let value = it.next().ok_or_else(|| format!("{a} needs a file\n{USAGE}"))?;
            if slot.replace(value.as_str()).is_some() {
                return Err(format!("{a} given twice\n{USAGE}"));
            }
        }
        Ok(Args {
            export: export.ok_or_else(|| format!("no export file\n{USAGE}"))?,
            keys: keys.ok_or_else(|| format!("--keys is required\n{USAGE}"))?,
            export_checkpoint,
            earlier,
        })
    }

    fn json(path: &str, read: &impl Fn(&str) -> Result<String, String>) -> Result<serde_json::Value, String> {
        let text = read(path).map_err(|e| format!("{path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))
    }

    /// Runs the verifier; returns the exit status and the message to print.
    pub(crate) fn run(args: &[String], read: impl Fn(&str) -> Result<String, String>) -> (i32, String) {
        match prepare(args, &read) {
            Err(message) => (2, message),
            Ok(p) => match verify_export(&p.rows, &p.checkpoint, p.earlier.as_ref(), &p.keys, verify_ed25519) {
                Err(e) => (1, format!("FAIL {e}")),
                Ok(summary) => (0, summary.to_string()),
            },
        }
    }

    struct Prepared {
        rows: Vec<ExportRow>,
        checkpoint: ExportCheckpoint,
        earlier: Option<SignedCheckpoint>,
        keys: Vec<PublicKey>,
    }

    fn prepare(args: &[String], read: &impl Fn(&str) -> Result<String, String>) -> Result<Prepared, String> {
        let args = parse_args(args)?;
        let keys = keys_from_jwks(&json(args.keys, read)?).map_err(|e| format!("{}: {e}", args.keys))?;
        let text = read(args.export).map_err(|e| format!("{}: {e}", args.export))?;
        let at_line =
            |e: axissynapse_edge::audit::verify_export::LineError| format!("{}:{}: {}", args.export, e.line, e.reason);
        let (rows, own) = if is_csv(&text) {
            (parse_csv(&text).map_err(at_line)?, None)
        } else {
            parse_ndjson(&text).map_err(at_line)?
        };
        let given = match args.export_checkpoint {
            None => None,
            Some(path) => Some(ExportCheckpoint::from_json(&json(path, read)?).map_err(|e| format!("{path}: {e}"))?),
        };
        let checkpoint = match (own, given) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{}: carries its own checkpoint line; --export-checkpoint is for a CSV export",
                    args.export
                ))
            }
            (Some(c), None) | (None, Some(c)) => c,
            (None, None) if is_csv(&text) => {
                return Err(format!(
                    "{}: a CSV export needs --export-checkpoint (its ?format=checkpoint download)",
                    args.export
                ))
            }
            (None, None) => return Err(format!("{}: no checkpoint line at the end", args.export)),
        };
        let earlier = match args.earlier {
            None => None,
            Some(path) => Some(SignedCheckpoint::from_json(&json(path, read)?).map_err(|e| format!("{path}: {e}"))?),
        };
        Ok(Prepared { rows, checkpoint, earlier, keys })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use axissynapse_edge::audit::checkpoint::{Checkpoint, PublicKey};
        use axissynapse_edge::audit::export::ndjson_row;
        use axissynapse_edge::audit::ledger::{AuditEntry, GENESIS_HASH};
        use ed25519_dalek::{Signer, SigningKey};
        use std::collections::HashMap;

        fn files(n: i64, earlier_seq: i64) -> HashMap<&'static str, String> {
            files_with(n, earlier_seq, "")
        }

        /// Row 2's `data` gets `rewrite` appended (with `""`, the original history).
        fn files_with(n: i64, earlier_seq: i64, rewrite: &str) -> HashMap<&'static str, String> {
            let key = SigningKey::from_bytes(&[7; 32]);
            let mut rows: Vec<AuditEntry> = Vec::new();
            for seq in 1..=n {
                let prev = rows.last().map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
                rows.push(
                    AuditEntry {
                        workspace_id: "ws_1".into(),
                        seq,
                        id: format!("evt_{seq}"),
                        at_ms: 1_790_000_000_000 + seq,
                        action: "USER_LOGIN".into(),
                        actor_type: "user".into(),
                        actor_id: Some("usr_1".into()),
                        resource_type: Some("session".into()),
                        resource_id: None,
                        ip: None,
                        data: match seq {
                            1 => "raw text, not JSON".into(),
                            2 => format!(r#"{{"n":1{rewrite}}}"#),
                            3 => r#""a JSON string""#.into(),
                            5 => serde_json::json!({"z": "Zoë 東京\n\u{1}", "a": [1.5, null, true, -7]}).to_string(),
                            _ => r#"{"n":1}"#.into(),
                        },
                        prev_hash: prev,
                        hash: String::new(),
                    }
                    .seal(),
                );
            }
            let sign = |seq: i64| {
                let c = Checkpoint {
                    workspace_id: "ws_1".into(),
                    seq,
                    hash: rows[seq as usize - 1].hash.clone(),
                    time_ms: 1_790_000_100_000 + seq,
                    key_id: "k1".into(),
                };
                let signature = key.sign(&c.signing_bytes()).to_bytes();
                SignedCheckpoint { checkpoint: c, signature }.to_json().to_string()
            };
            let public = PublicKey {
                kid: "k1".into(),
                x: key.verifying_key().to_bytes(),
                not_before_ms: None,
                not_after_ms: None,
            };
            let export: String = rows.iter().map(ndjson_row).collect::<String>() + &sign(n) + "\n";
            HashMap::from([
                ("export.ndjson", export),
                ("keys.json", serde_json::json!({ "keys": [public.to_jwk()] }).to_string()),
                ("earlier.json", sign(earlier_seq)),
            ])
        }

        fn run_with(files: &HashMap<&'static str, String>, args: &[&str]) -> (i32, String) {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            run(&args, |path| files.get(path).cloned().ok_or_else(|| "no such file".to_owned()))
        }

        #[test]
        fn verified_export_exits_0_and_names_the_head() {
            let f = files(5, 2);
            let (code, message) =
                run_with(&f, &["export.ndjson", "--keys", "keys.json", "--checkpoint", "earlier.json"]);
            assert_eq!(code, 0, "{message}");
            assert!(message.starts_with("OK workspace ws_1 rows 1..=5 (5 rows)"), "{message}");
            assert!(message.ends_with("extends the checkpoint at seq 2"), "{message}");
        }

        #[test]
        fn dropped_row_exits_1_naming_the_seq() {
            let mut f = files(5, 2);
            let export = f["export.ndjson"]
                .lines()
                .enumerate()
                .filter(|(i, _)| *i != 2)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            f.insert("export.ndjson", export);
            let (code, message) = run_with(&f, &["export.ndjson", "--keys", "keys.json"]);
            assert_eq!((code, message.as_str()), (1, "FAIL seq 3: dropped row (the next row is seq 4)"));
        }

        /// The same files through `docs/audit_verify.py` (python3 with `cryptography`, as the
        /// SAML fixtures need): exit status and message, as `run` gives them.
        fn python(files: &HashMap<&'static str, String>, args: &[&str]) -> (i32, String) {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("audit-verify-py-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in files {
                std::fs::write(dir.join(name), text).unwrap();
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit_verify.py");
            let out = std::process::Command::new("python3")
                .arg(script)
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("python3 with the cryptography package runs docs/audit_verify.py");
            std::fs::remove_dir_all(&dir).unwrap();
            let text = String::from_utf8(if out.status.success() { out.stdout } else { out.stderr }).unwrap();
            (out.status.code().unwrap(), text.trim_end().to_owned())
        }

        #[test]
        fn python_verifier_answers_exactly_as_the_rust_one() {
            let good = files(6, 3);
            let mut dropped = good.clone();
            let lines: Vec<&str> = good["export.ndjson"].lines().collect();
            dropped.insert("export.ndjson", [&lines[..2], &lines[3..]].concat().join("\n") + "\n");
            let mut swapped = good.clone();
            let mut l = lines.clone();
            l.swap(1, 2);
            swapped.insert("export.ndjson", l.join("\n") + "\n");
            let mut altered = good.clone();
            altered.insert("export.ndjson", good["export.ndjson"].replacen("evt_4", "evt_5", 1));
            let mut cut = good.clone();
            cut.insert("export.ndjson", [&lines[..4], &lines[6..]].concat().join("\n") + "\n");
            let mut forged = good.clone();
            let other = files(6, 3);
            let sig = |f: &HashMap<&str, String>| f["export.ndjson"].lines().last().unwrap().to_owned();
            let mut cp: serde_json::Value = serde_json::from_str(&sig(&other)).unwrap();
            cp["sig"] = serde_json::json!("A".repeat(86));
            forged.insert("export.ndjson", [&lines[..6], &[cp.to_string().as_str()]].concat().join("\n") + "\n");
            let mut rewritten = files_with(6, 3, r#","x":2"#);
            rewritten.insert("earlier.json", good["earlier.json"].clone());
            let mut unknown = good.clone();
            unknown.insert("keys.json", r#"{"keys":[]}"#.into());
            let with_earlier = ["export.ndjson", "--keys", "keys.json", "--checkpoint", "earlier.json"];
            let plain = ["export.ndjson", "--keys", "keys.json"];
            for (name, f, args) in [
                ("good", &good, &with_earlier[..]),
                ("dropped", &dropped, &plain[..]),
                ("swapped", &swapped, &plain[..]),
                ("altered", &altered, &plain[..]),
                ("cut", &cut, &plain[..]),
                ("forged", &forged, &plain[..]),
                ("unknown key", &unknown, &plain[..]),
                ("rewritten", &rewritten, &with_earlier[..]),
            ] {
                let rust = run_with(f, args);
                if name == "rewritten" {
                    assert!(rust.1.starts_with("FAIL seq 3: the checkpoint does not extend"), "{}", rust.1);
                    assert!(rust.1.contains("history rewritten"), "{}", rust.1);
                }
                assert_eq!(python(f, args), rust, "{name}");
                assert_eq!(rust.0, if name == "good" { 0 } else { 1 }, "{name}: {}", rust.1);
            }
        }

        #[test]
        fn usage_and_unreadable_files_exit_2() {
            let f = files(2, 1);
            assert_eq!(run_with(&f, &["export.ndjson"]).0, 2);
            assert_eq!(run_with(&f, &["export.ndjson", "--keys"]).0, 2);
            assert_eq!(run_with(&f, &["export.ndjson", "--keys", "keys.json", "--bogus", "x"]).0, 2);
            let (code, message) = run_with(&f, &["missing.ndjson", "--keys", "keys.json"]);
            assert_eq!((code, message.as_str()), (2, "missing.ndjson: no such file"));
        }
    }
}

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
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "audit_verify/tests.rs"]
mod tests;

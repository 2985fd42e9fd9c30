//! The curated AAGUID catalog: WebAuthn Level 3 §6.5.1 (attested credential data: the 16-byte
//! AAGUID) identified per RFC 9562 §4 (RFC 4122) UUID text, and grouped into the four
//! categories the attestation policy speaks of. `data/aaguids.json` is the source (see
//! `data/README.md` for provenance); `build.rs` turns it into the `CATALOG` static with
//! [`catalog_rust_source`].
//!
//! This file uses only `std` and `serde_json`, so `build.rs` can include it with
//! `#[path = "src/attestation_policy/catalog.rs"] mod catalog;`.

use std::borrow::Cow;
use std::fmt;

use serde_json::{json, Value};

/// Largest catalog document [`parse_catalog`] reads.
pub const MAX_CATALOG_BYTES: usize = 256 * 1024;
/// Most entries a catalog may hold.
pub const MAX_CATALOG_ENTRIES: usize = 1000;
/// Longest authenticator name, in characters.
const MAX_NAME_CHARS: usize = 128;
/// Longest provenance note, in bytes.
const MAX_SOURCE_LEN: usize = 256;
/// Length of a UUID in text form.
const UUID_TEXT_LEN: usize = 36;
/// Where the hyphens sit in `8-4-4-4-12`.
const UUID_HYPHENS: [usize; 4] = [8, 13, 18, 23];
/// The all-zero AAGUID of `none` attestation and U2F: an unknown authenticator.
pub const ZERO_AAGUID: [u8; 16] = [0; 16];

/// What kind of authenticator an AAGUID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A roaming hardware key from a FIPS 140 validated product line.
    FipsHardware,
    /// Any other roaming hardware security key (device-bound credentials).
    Hardware,
    /// Built into the device or browser; credentials stay on that device.
    Platform,
    /// A passkey provider that syncs credentials across devices.
    Synced,
}

impl Category {
    /// Every category, in catalog order.
    pub const ALL: [Category; 4] = [Self::FipsHardware, Self::Hardware, Self::Platform, Self::Synced];

    /// The wire code (`category` in the catalog and in policies).
    pub fn code(self) -> &'static str {
        match self {
            Self::FipsHardware => "fips_hardware",
            Self::Hardware => "hardware",
            Self::Platform => "platform",
            Self::Synced => "synced",
        }
    }

    /// The category with this exact code.
    pub fn parse(code: &str) -> Option<Category> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Whether an authenticator of this category is admitted when `allowed` is: each category
    /// admits itself, and `hardware` also admits FIPS hardware (a subset of it).
    pub fn satisfies(self, allowed: Category) -> bool {
        self == allowed || (self == Self::FipsHardware && allowed == Self::Hardware)
    }
}

/// One known authenticator model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    pub aaguid: [u8; 16],
    pub name: Cow<'static, str>,
    pub category: Category,
}

impl CatalogEntry {
    /// `{"aaguid", "name", "category"}` for the attestation-policy endpoints.
    pub fn to_json(&self) -> Value {
        json!({
            "aaguid": format_aaguid(&self.aaguid),
            "name": self.name,
            "category": self.category.code(),
        })
    }
}

/// Why a catalog document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    TooLarge,
    Json(String),
    NotAnArray,
    TooManyEntries,
    Entry { index: usize, problem: &'static str },
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => write!(f, "catalog exceeds {MAX_CATALOG_BYTES} bytes"),
            Self::Json(e) => write!(f, "catalog is not JSON: {e}"),
            Self::NotAnArray => f.write_str("catalog is not a JSON array"),
            Self::TooManyEntries => {
                write!(f, "catalog has more than {MAX_CATALOG_ENTRIES} entries")
            }
            Self::Entry { index, problem } => write!(f, "catalog entry {index}: {problem}"),
        }
    }
}

/// The 16 bytes of a UUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex in either case).
pub fn parse_aaguid(text: &str) -> Option<[u8; 16]> {
    if text.len() != UUID_TEXT_LEN {
        return None;
    }
    let mut digits = Vec::with_capacity(32);
    for (i, symbol) in text.chars().enumerate() {
        if UUID_HYPHENS.contains(&i) {
            if symbol != '-' {
                return None;
            }
        } else {
            digits.push(u8::try_from(symbol.to_digit(16)?).ok()?);
        }
    }
    let mut aaguid = [0u8; 16];
    for (byte, pair) in aaguid.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = pair.iter().fold(0, |acc, d| (acc << 4) | d);
    }
    Some(aaguid)
}

/// Lowercase `8-4-4-4-12` UUID text.
pub fn format_aaguid(aaguid: &[u8; 16]) -> String {
    let mut text = String::with_capacity(UUID_TEXT_LEN);
    for (i, byte) in aaguid.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The entry for `aaguid`; never one for the zero AAGUID, which names no model.
pub fn lookup<'a>(catalog: &'a [CatalogEntry], aaguid: &[u8; 16]) -> Option<&'a CatalogEntry> {
    if *aaguid == ZERO_AAGUID {
        return None;
    }
    catalog.iter().find(|e| e.aaguid == *aaguid)
}

/// Reads a catalog document: a JSON array of `{"aaguid", "name", "category", "source"}`
/// objects (no other keys), with distinct, non-zero AAGUIDs, names of 1–128 printable
/// characters and a non-empty `source` (provenance, checked but not kept).
pub fn parse_catalog(json: &str) -> Result<Vec<CatalogEntry>, CatalogError> {
    if json.len() > MAX_CATALOG_BYTES {
        return Err(CatalogError::TooLarge);
    }
    let doc: Value = serde_json::from_str(json).map_err(|e| CatalogError::Json(e.to_string()))?;
    let items = doc.as_array().ok_or(CatalogError::NotAnArray)?;
    if items.len() > MAX_CATALOG_ENTRIES {
        return Err(CatalogError::TooManyEntries);
    }
    let mut entries: Vec<CatalogEntry> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let entry = parse_entry(item).map_err(|problem| CatalogError::Entry { index, problem })?;
        if lookup(&entries, &entry.aaguid).is_some() {
            return Err(CatalogError::Entry { index, problem: "repeats an earlier aaguid" });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// Rust source for `pub static CATALOG: &[CatalogEntry]` holding the catalog in `json`, for
/// `build.rs` to write into `OUT_DIR` and `attestation_policy` to `include!`.
pub fn catalog_rust_source(json: &str) -> Result<String, CatalogError> {
    let mut source = String::from(
        "/// The curated AAGUID catalog, generated by build.rs from data/aaguids.json.\n\
         pub static CATALOG: &[crate::attestation_policy::CatalogEntry] = &[\n",
    );
    for entry in parse_catalog(json)? {
        let bytes: Vec<String> = entry.aaguid.iter().map(|b| format!("0x{b:02x}")).collect();
        // `{:?}` of a str is a valid Rust string literal; of a Category, its variant name.
        source.push_str(&format!(
            "    crate::attestation_policy::CatalogEntry {{ aaguid: [{}], name: \
             ::std::borrow::Cow::Borrowed({:?}), category: \
             crate::attestation_policy::Category::{:?} }},\n",
            bytes.join(", "),
            entry.name,
            entry.category,
        ));
    }
    source.push_str("];\n");
    Ok(source)
}

/// One catalog object, or what is wrong with it.
fn parse_entry(item: &Value) -> Result<CatalogEntry, &'static str> {
    let object = item.as_object().ok_or("is not an object")?;
    if object.keys().any(|k| !matches!(k.as_str(), "aaguid" | "name" | "category" | "source")) {
        return Err("has a key other than aaguid, name, category, source");
    }
    let field = |key: &str| object.get(key).and_then(Value::as_str);
    let aaguid = field("aaguid").and_then(parse_aaguid).ok_or("aaguid is not a UUID")?;
    if aaguid == ZERO_AAGUID {
        return Err("aaguid is all zeros");
    }
    let name = field("name").filter(|n| valid_name(n)).ok_or("name is not 1-128 printable characters")?;
    let category = field("category").and_then(Category::parse).ok_or("category is unknown")?;
    field("source")
        .filter(|s| !s.trim().is_empty() && s.len() <= MAX_SOURCE_LEN)
        .ok_or("source is missing or too long")?;
    Ok(CatalogEntry { aaguid, name: Cow::Owned(name.to_owned()), category })
}

fn valid_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) && !name.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUBIKEY_5: &str = "ee882879-721c-4913-9775-3dfcce97072a";
    const DATA: &str = include_str!("../../data/aaguids.json");

    fn one_entry(fields: &str) -> String {
        format!("[{{{fields}}}]")
    }

    fn entry_error(fields: &str) -> Option<&'static str> {
        match parse_catalog(&one_entry(fields)) {
            Err(CatalogError::Entry { index: 0, problem }) => Some(problem),
            _ => None,
        }
    }

    const GOOD: &str = r#""aaguid":"ee882879-721c-4913-9775-3dfcce97072a","name":"YubiKey 5 Series","category":"hardware","source":"test""#;

    #[test]
    fn parse_aaguid_reads_the_spec_example_in_either_case() {
        let expected = [0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a];
        assert_eq!(parse_aaguid(YUBIKEY_5), Some(expected));
        assert_eq!(parse_aaguid(&YUBIKEY_5.to_uppercase()), Some(expected));
        assert_eq!(format_aaguid(&expected), YUBIKEY_5);
    }

    #[test]
    fn parse_aaguid_refuses_other_spellings() {
        for text in [
            "",
            "ee882879721c491397753dfcce97072a",
            "{ee882879-721c-4913-9775-3dfcce97072a}",
            "ee882879-721c-4913-9775-3dfcce97072",
            "ee882879-721c-4913-9775-3dfcce97072g",
            "ee88287-9721c-4913-9775-3dfcce97072a",
            "ee882879-721c-4913-9775+3dfcce97072a",
            "ee882879-721c-4913-9775-3dfcce97072\u{e9}",
        ] {
            assert_eq!(parse_aaguid(text), None, "{text:?}");
        }
    }

    #[test]
    fn format_aaguid_of_zero_is_the_nil_uuid() {
        assert_eq!(format_aaguid(&ZERO_AAGUID), "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn category_codes_round_trip_and_hardware_admits_fips() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Some(c));
        }
        assert_eq!(Category::parse("HARDWARE"), None);
        assert!(Category::FipsHardware.satisfies(Category::Hardware));
        assert!(!Category::Hardware.satisfies(Category::FipsHardware));
        assert!(!Category::Platform.satisfies(Category::Synced));
    }

    #[test]
    fn shipped_catalog_parses_with_40_to_80_entries_in_every_category() {
        let catalog = parse_catalog(DATA).unwrap_or_default();
        assert!((40..=80).contains(&catalog.len()), "{}", catalog.len());
        for category in Category::ALL {
            assert!(catalog.iter().any(|e| e.category == category), "{category:?}");
        }
    }

    #[test]
    fn shipped_catalog_lists_the_spec_example_yubikey_5_as_hardware() {
        let catalog = parse_catalog(DATA).unwrap_or_default();
        let aaguid = parse_aaguid(YUBIKEY_5).unwrap_or_default();
        let entry = lookup(&catalog, &aaguid).map(|e| (e.name.as_ref(), e.category));
        assert_eq!(entry, Some(("YubiKey 5 Series", Category::Hardware)));
    }

    #[test]
    fn lookup_never_matches_the_zero_aaguid() {
        let catalog =
            vec![CatalogEntry { aaguid: ZERO_AAGUID, name: Cow::Borrowed("forged"), category: Category::Hardware }];
        assert_eq!(lookup(&catalog, &ZERO_AAGUID), None);
    }

    #[test]
    fn parse_catalog_reads_a_good_entry() {
        let catalog = parse_catalog(&one_entry(GOOD)).unwrap_or_default();
        assert_eq!(catalog.len(), 1);
        assert_eq!(catalog[0].name, "YubiKey 5 Series");
        assert_eq!(catalog[0].to_json()["aaguid"], YUBIKEY_5);
        assert_eq!(catalog[0].to_json()["category"], "hardware");
    }

    #[test]
    fn parse_catalog_refuses_oversized_non_json_and_non_array_documents() {
        let huge = format!("[{}]", " ".repeat(MAX_CATALOG_BYTES));
        assert_eq!(parse_catalog(&huge), Err(CatalogError::TooLarge));
        assert!(matches!(parse_catalog("[{"), Err(CatalogError::Json(_))));
        assert_eq!(parse_catalog("{}"), Err(CatalogError::NotAnArray));
        let many = format!("[{}]", vec!["1"; MAX_CATALOG_ENTRIES + 1].join(","));
        assert_eq!(parse_catalog(&many), Err(CatalogError::TooManyEntries));
    }

    #[test]
    fn parse_catalog_refuses_bad_entries_with_the_reason() {
        let zero = GOOD.replace(YUBIKEY_5, "00000000-0000-0000-0000-000000000000");
        let long_name = GOOD.replace("YubiKey 5 Series", &"n".repeat(MAX_NAME_CHARS + 1));
        let cases = [
            (GOOD.replace(YUBIKEY_5, "not-a-uuid"), "aaguid is not a UUID"),
            (zero, "aaguid is all zeros"),
            (GOOD.replace("YubiKey 5 Series", ""), "name is not 1-128 printable characters"),
            (GOOD.replace("YubiKey 5 Series", "a\\u0007b"), "name is not 1-128 printable characters"),
            (long_name, "name is not 1-128 printable characters"),
            (GOOD.replace("\"hardware\"", "\"usb\""), "category is unknown"),
            (GOOD.replace("\"test\"", "\" \""), "source is missing or too long"),
            (format!("{GOOD},\"extra\":1"), "has a key other than aaguid, name, category, source"),
        ];
        for (fields, problem) in cases {
            assert_eq!(entry_error(&fields), Some(problem), "{fields}");
        }
        assert_eq!(parse_catalog("[1]"), Err(CatalogError::Entry { index: 0, problem: "is not an object" }));
    }

    #[test]
    fn parse_catalog_refuses_a_repeated_aaguid_in_any_case() {
        let upper = GOOD.replace(YUBIKEY_5, &YUBIKEY_5.to_uppercase());
        let doc = format!("[{{{GOOD}}},{{{upper}}}]");
        assert_eq!(parse_catalog(&doc), Err(CatalogError::Entry { index: 1, problem: "repeats an earlier aaguid" }));
    }

    #[test]
    fn catalog_rust_source_emits_a_static_literal() {
        let fields = GOOD.replace("YubiKey 5 Series", "Key \\\"Q\\\" Sésame");
        let source = catalog_rust_source(&one_entry(&fields)).unwrap_or_default();
        assert!(source.contains("pub static CATALOG: &[crate::attestation_policy::CatalogEntry] = &[\n"));
        assert!(source.contains(
            "aaguid: [0xee, 0x88, 0x28, 0x79, 0x72, 0x1c, 0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, \
             0xce, 0x97, 0x07, 0x2a], name: ::std::borrow::Cow::Borrowed(\"Key \\\"Q\\\" Sésame\"), \
             category: crate::attestation_policy::Category::Hardware },\n"
        ));
        assert!(source.ends_with("];\n"));
    }

    #[test]
    fn catalog_rust_source_propagates_parse_errors() {
        assert_eq!(catalog_rust_source("{}"), Err(CatalogError::NotAnArray));
    }
}

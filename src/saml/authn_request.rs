//! The SP-initiated `<samlp:AuthnRequest>` and the two bindings that carry it to the IdP.
//!
//! - SAML 2.0 Core §3.4.1 (`AuthnRequest`), §3.2.1 (`RequestAbstractType`: `ID`, `Version`,
//!   `IssueInstant`, `Destination`), §3.4.1.1 (`NameIDPolicy`), §1.3.3 (times are UTC `xs:dateTime`
//!   with `Z`). Requests are not signed: the SP metadata says `AuthnRequestsSigned="false"`.
//! - SAML 2.0 Bindings §3.4 (HTTP-Redirect): §3.4.4.1 DEFLATE encoding — raw DEFLATE (RFC 1951),
//!   then base64, then URL-encoding, carried as `SAMLRequest` (and `RelayState`) query parameters.
//!   [`deflate_stored`] emits only *stored* blocks (RFC 1951 §3.2.4): valid DEFLATE that every
//!   inflater accepts, so no compression crate reaches the wasm build.
//! - SAML 2.0 Bindings §3.5 (HTTP-POST): §3.5.4 an HTML form, auto-submitted, whose hidden
//!   `SAMLRequest` holds the base64 XML. [`post_form`] uses one inline `<script>` and no event
//!   handler attribute; the edge allows it with the CSP hash [`post_form_script_csp_source`]
//!   (`script-src 'sha256-…'`), never `'unsafe-inline'`.
//! - Bindings §3.4.3 / §3.5.3 `RelayState`: [`safe_relay_state`] admits only a same-origin
//!   relative path, so the value the IdP echoes back can never become an open redirect.
//!
//! Pure: the caller passes the random request ID and the current time.

use base64::Engine as _;
use sha2::Digest as _;

/// Bindings §3.5: the HTTP-POST binding URN.
pub const BINDING_HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// Bindings §3.4: the HTTP-Redirect binding URN.
pub const BINDING_HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// Core §3: the protocol namespace.
const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// Core §2: the assertion namespace.
const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// Longest RelayState [`safe_relay_state`] admits, in bytes. Bindings §3.4.3 caps a RelayState
/// the SP sends at 80 bytes; IdPs in practice echo longer values, and this cap bounds what the
/// edge stores and redirects to.
pub const MAX_RELAY_STATE_BYTES: usize = 512;
/// Largest payload of one stored DEFLATE block (RFC 1951 §3.2.4: LEN is 16 bits).
const STORED_BLOCK_MAX: usize = 0xFFFF;
/// Upper-case hex digits for percent-encoding (RFC 3986 §2.1).
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";
/// The script of [`post_form`]; its SHA-256 is [`post_form_script_csp_source`].
pub const POST_FORM_SCRIPT: &str = "document.forms[0].submit()";

/// An SP-initiated authentication request (Core §3.4.1), sent unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthnRequest<'a> {
    /// `ID` (an `xs:ID`, so an NCName): `"_"` followed by random hex, made by the caller.
    pub id: &'a str,
    /// `IssueInstant`, Unix milliseconds.
    pub issue_instant_ms: i64,
    /// `Destination`: the IdP's SingleSignOnService URL.
    pub destination: &'a str,
    /// `AssertionConsumerServiceURL`: where the IdP must POST the Response.
    pub acs_url: &'a str,
    /// `saml:Issuer`: this SP's entity ID.
    pub sp_entity_id: &'a str,
    /// `NameIDPolicy/@Format`, e.g. `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`.
    pub name_id_format: Option<&'a str>,
}

impl AuthnRequest<'_> {
    /// The request as XML (no XML declaration, no signature); every value is escaped.
    pub fn to_xml(&self) -> String {
        format!(
            "<samlp:AuthnRequest xmlns:samlp=\"{NS_PROTOCOL}\" xmlns:saml=\"{NS_ASSERTION}\" ID=\"{id}\" \
             Version=\"2.0\" IssueInstant=\"{instant}\" Destination=\"{destination}\" \
             ProtocolBinding=\"{BINDING_HTTP_POST}\" AssertionConsumerServiceURL=\"{acs}\">\
             <saml:Issuer>{issuer}</saml:Issuer>{policy}</samlp:AuthnRequest>",
            id = escape(self.id),
            instant = crate::time::format_ms(self.issue_instant_ms),
            destination = escape(self.destination),
            acs = escape(self.acs_url),
            issuer = escape(self.sp_entity_id),
            policy = name_id_policy(self.name_id_format),
        )
    }
}

/// Core §3.4.1.1 `<samlp:NameIDPolicy>`; `Format` only when one is configured.
fn name_id_policy(format: Option<&str>) -> String {
    match format {
        Some(format) => format!("<samlp:NameIDPolicy Format=\"{}\" AllowCreate=\"true\"/>", escape(format)),
        None => "<samlp:NameIDPolicy AllowCreate=\"true\"/>".to_owned(),
    }
}

/// Escapes `& < > " '` so `value` is safe as XML text, XML attribute value and HTML attribute
/// value (quoted with `"` or `'`).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Bindings §3.5.4: a complete HTML page that POSTs `SAMLRequest` (already base64) and the
/// optional `RelayState` to `idp_sso_url`. It submits itself with [`POST_FORM_SCRIPT`]; the
/// `<noscript>` button covers browsers without script. Send it with
/// `Content-Security-Policy: default-src 'none'; script-src <post_form_script_csp_source()>;
/// form-action <IdP origin>` and `Cache-Control: no-store`.
pub fn post_form(idp_sso_url: &str, saml_request_b64: &str, relay_state: Option<&str>) -> String {
    let relay = relay_state.map(|value| hidden_input("RelayState", value)).unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Signing in</title></head><body>\
         <form method=\"post\" action=\"{action}\">{request}{relay}\
         <noscript><p>Your browser does not run scripts: press Continue to sign in.</p>\
         <button type=\"submit\">Continue</button></noscript></form>\
         <script>{POST_FORM_SCRIPT}</script></body></html>\n",
        action = escape(idp_sso_url),
        request = hidden_input("SAMLRequest", saml_request_b64),
    )
}

fn hidden_input(name: &str, value: &str) -> String {
    format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value))
}

/// The CSP source expression (`'sha256-…'`) that allows exactly [`POST_FORM_SCRIPT`].
pub fn post_form_script_csp_source() -> String {
    let digest = sha2::Sha256::digest(POST_FORM_SCRIPT.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Raw DEFLATE (RFC 1951, no zlib header) made of stored blocks only (§3.2.4): each block is
/// a header byte (BFINAL, BTYPE=00), LEN and NLEN (little-endian), then LEN literal bytes.
/// Empty input gives one empty final block.
pub fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(STORED_BLOCK_MAX).max(1);
    let mut out = Vec::with_capacity(data.len() + 5 * blocks);
    let mut chunks = data.chunks(STORED_BLOCK_MAX).peekable();
    if chunks.peek().is_none() {
        push_stored_block(&mut out, &[], true);
    }
    while let Some(chunk) = chunks.next() {
        push_stored_block(&mut out, chunk, chunks.peek().is_none());
    }
    out
}

/// One stored block; `chunk` is at most [`STORED_BLOCK_MAX`] bytes (the callers' chunks are).
fn push_stored_block(out: &mut Vec<u8>, chunk: &[u8], last: bool) {
    let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
    out.push(u8::from(last));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(chunk);
}

/// Bindings §3.4.4.1: `idp_sso_url` with `SAMLRequest=<urlencode(base64(deflate(xml)))>` and,
/// when given, `&RelayState=<urlencode(relay_state)>` appended (after `?`, or after `&` when
/// the URL already has a query). A fragment on the IdP URL stays at the end.
pub fn redirect_url(idp_sso_url: &str, xml: &str, relay_state: Option<&str>) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflate_stored(xml.as_bytes()));
    let mut query = format!("SAMLRequest={}", url_encode(&encoded));
    if let Some(relay) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&url_encode(relay));
    }
    let (base, fragment) = match idp_sso_url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (idp_sso_url, None),
    };
    let separator = query_separator(base);
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{base}{separator}{query}{fragment}")
}

/// `?` for a URL without a query, `&` after an existing query, nothing after a trailing `?`/`&`.
fn query_separator(base: &str) -> &'static str {
    if base.ends_with('?') || base.ends_with('&') {
        ""
    } else if base.contains('?') {
        "&"
    } else {
        "?"
    }
}

/// Percent-encodes every byte but RFC 3986 §2.3 unreserved characters.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0F)]));
        }
    }
    out
}

/// `value` when it is a same-origin relative path the edge may redirect to after sign-in;
/// `None` otherwise (the edge then refuses: open redirect).
///
/// Admitted: at most [`MAX_RELAY_STATE_BYTES`] bytes, starting with exactly one `/` (not `//`,
/// not `/\`), with no backslash, no control character and no whitespace anywhere — browsers
/// drop tab/CR/LF inside URLs and read `\` as `/`, which would turn `/\t/evil` or `/\evil`
/// into `//evil`. A leading `/` also rules out any scheme (`javascript:`, `https:`).
///
/// Percent-encoding: `/%2F%2Fevil.com` is, to a browser, a same-origin path (it does not
/// decode `%2F` before resolving). It is refused anyway: the value is also checked once
/// percent-decoded, so a layer that decodes it once (a proxy, a framework router) cannot turn
/// it into `///evil.com`. Encoded whitespace (`%20`) stays allowed; encoded `/` right after
/// the first one, encoded `\` and encoded control characters do not; an invalid escape or
/// non-UTF-8 decoding is refused.
pub fn safe_relay_state(value: &str) -> Option<&str> {
    if value.len() > MAX_RELAY_STATE_BYTES || value.chars().any(char::is_whitespace) {
        return None;
    }
    let decoded = percent_decode(value)?;
    (is_rooted_path(value) && is_rooted_path(&decoded)).then_some(value)
}

/// Starts with a single `/`; no `\` and no control character anywhere.
fn is_rooted_path(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path.chars().any(|c| c == '\\' || c.is_control())
}

/// RFC 3986 §2.1 percent-decoding (no `+` rule); `None` on a bad escape or invalid UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANT_MS: i64 = 1_780_308_000_000; // 2026-06-01T10:00:00Z

    fn request() -> AuthnRequest<'static> {
        AuthnRequest {
            id: "_0123456789abcdef",
            issue_instant_ms: INSTANT_MS,
            destination: "https://idp.example.test/sso?tenant=a&x=1",
            acs_url: "https://edge.axissynapse.test/api/saml/sp_fixture/acs",
            sp_entity_id: "https://edge.axissynapse.test/api/saml/sp_fixture/metadata",
            name_id_format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
        }
    }

    fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
        node.attribute(name).unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn instant_constant_is_the_fixture_time() {
        assert_eq!(crate::time::parse("2026-06-01T10:00:00Z"), Ok(INSTANT_MS));
    }

    #[test]
    fn to_xml_has_the_core_3_4_1_shape() {
        let xml = request().to_xml();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().namespace(), Some(NS_PROTOCOL));
        assert_eq!(root.tag_name().name(), "AuthnRequest");
        assert_eq!(attr(root, "ID"), "_0123456789abcdef");
        assert_eq!(attr(root, "Version"), "2.0");
        assert_eq!(attr(root, "IssueInstant"), "2026-06-01T10:00:00.000Z");
        assert_eq!(attr(root, "Destination"), "https://idp.example.test/sso?tenant=a&x=1");
        assert_eq!(attr(root, "ProtocolBinding"), BINDING_HTTP_POST);
        assert_eq!(attr(root, "AssertionConsumerServiceURL"), request().acs_url);
        let children: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].tag_name().namespace(), Some(NS_ASSERTION));
        assert_eq!(children[0].tag_name().name(), "Issuer");
        assert_eq!(children[0].text(), Some(request().sp_entity_id));
        assert_eq!(children[1].tag_name().name(), "NameIDPolicy");
        assert_eq!(attr(children[1], "AllowCreate"), "true");
        assert_eq!(attr(children[1], "Format"), request().name_id_format.unwrap());
    }

    #[test]
    fn to_xml_omits_format_when_none() {
        let xml = AuthnRequest { name_id_format: None, ..request() }.to_xml();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let policy = doc.descendants().find(|n| n.has_tag_name((NS_PROTOCOL, "NameIDPolicy"))).unwrap();
        assert_eq!(policy.attribute("Format"), None);
        assert_eq!(policy.attribute("AllowCreate"), Some("true"));
    }

    #[test]
    fn to_xml_escapes_every_value() {
        let hostile = "x\"><evil a='1'/>&amp;";
        let xml = AuthnRequest {
            destination: hostile,
            acs_url: hostile,
            sp_entity_id: "<saml:Issuer>evil</saml:Issuer>",
            name_id_format: Some(hostile),
            ..request()
        }
        .to_xml();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(attr(root, "Destination"), hostile);
        assert_eq!(attr(root, "AssertionConsumerServiceURL"), hostile);
        assert!(doc.descendants().all(|n| n.tag_name().name() != "evil"));
        let issuer = root.first_element_child().unwrap();
        assert_eq!(issuer.text(), Some("<saml:Issuer>evil</saml:Issuer>"));
    }

    #[test]
    fn escape_covers_the_five_markup_characters() {
        assert_eq!(escape(r#"a&b<c>d"e'f"#), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
        assert_eq!(escape("plain ünïcode"), "plain ünïcode");
    }

    fn inflate_with_python(deflated: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut child = std::process::Command::new("python3")
            .args(["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read(), -15))"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        child.stdin.take().unwrap().write_all(deflated).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "zlib refused the stream");
        output.stdout
    }

    #[test]
    fn deflate_stored_inflates_with_zlib() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        for data in [&b""[..], b"a", request().to_xml().as_bytes(), &big[..STORED_BLOCK_MAX], &big] {
            assert_eq!(inflate_with_python(&deflate_stored(data)), data, "length {}", data.len());
        }
    }

    #[test]
    fn deflate_stored_block_layout() {
        assert_eq!(deflate_stored(b""), [0x01, 0x00, 0x00, 0xFF, 0xFF]);
        assert_eq!(deflate_stored(b"ab"), [0x01, 0x02, 0x00, 0xFD, 0xFF, b'a', b'b']);
        let two = deflate_stored(&[7u8; STORED_BLOCK_MAX + 1]);
        assert_eq!(two.len(), STORED_BLOCK_MAX + 1 + 10);
        assert_eq!(&two[..5], &[0x00, 0xFF, 0xFF, 0x00, 0x00]);
        assert_eq!(&two[5 + STORED_BLOCK_MAX..][..6], &[0x01, 0x01, 0x00, 0xFE, 0xFF, 7]);
    }

    fn query_value(url: &str, name: &str) -> String {
        let (_, query) = url.split_once('?').unwrap();
        let pairs = crate::http_url::parse_query(query.split('#').next().unwrap()).unwrap();
        pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn redirect_url_round_trips_bindings_3_4_4_1() {
        let xml = request().to_xml();
        let url = redirect_url("https://idp.example.test/sso", &xml, Some("/apps/dashboard?tab=1&x=a b"));
        assert!(url.starts_with("https://idp.example.test/sso?SAMLRequest="), "{url}");
        let b64 = query_value(&url, "SAMLRequest");
        let deflated = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(inflate_with_python(&deflated), xml.as_bytes());
        assert_eq!(query_value(&url, "RelayState"), "/apps/dashboard?tab=1&x=a b");
    }

    #[test]
    fn redirect_url_appends_to_an_existing_query() {
        let url = redirect_url("https://idp.example.test/sso?tenant=a", "<x/>", None);
        assert!(url.starts_with("https://idp.example.test/sso?tenant=a&SAMLRequest="), "{url}");
        assert!(!url.contains("RelayState"));
        let url = redirect_url("https://idp.example.test/sso?", "<x/>", None);
        assert!(url.starts_with("https://idp.example.test/sso?SAMLRequest="), "{url}");
        let url = redirect_url("https://idp.example.test/sso#frag", "<x/>", None);
        assert!(url.starts_with("https://idp.example.test/sso?SAMLRequest=") && url.ends_with("#frag"), "{url}");
    }

    #[test]
    fn url_encode_keeps_only_unreserved() {
        assert_eq!(url_encode("aZ09-._~ +/=?&%é"), "aZ09-._~%20%2B%2F%3D%3F%26%25%C3%A9");
    }

    #[test]
    fn post_form_escapes_and_has_no_event_handler() {
        let page = post_form("https://idp.example.test/sso?a=1&b=\"2\"", "PHg+PC94Pg==", Some("/x?y=\"><script>"));
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("action=\"https://idp.example.test/sso?a=1&amp;b=&quot;2&quot;\""));
        assert!(page.contains("<input type=\"hidden\" name=\"SAMLRequest\" value=\"PHg+PC94Pg==\">"));
        assert!(page.contains("name=\"RelayState\" value=\"/x?y=&quot;&gt;&lt;script&gt;\""));
        assert_eq!(page.matches("<script>").count(), 1);
        assert!(page.contains("<script>document.forms[0].submit()</script>"));
        assert!(page.contains("<noscript>") && page.contains("<button type=\"submit\">"));
        assert!(!page.to_ascii_lowercase().contains("onload"));
        assert!(!page.contains(" on"), "no inline event handler attribute");
    }

    #[test]
    fn post_form_without_relay_state() {
        let page = post_form("https://idp.example.test/sso", "AAAA", None);
        assert!(!page.contains("RelayState"));
    }

    #[test]
    fn post_form_csp_hash_is_sha256_of_the_script() {
        // Computed independently, by Python's hashlib.
        let expected = {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import hashlib,base64;print(base64.b64encode(hashlib.sha256(b'document.forms[0].submit()')\
                     .digest()).decode(),end='')",
                ])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(post_form_script_csp_source(), format!("'sha256-{expected}'"));
    }

    #[test]
    fn safe_relay_state_accepts_same_origin_paths() {
        for ok in ["/", "/apps", "/apps/dashboard?tab=2#top", "/a:b", "/search?q=a%20b", "/x%2Fy", "/%7Euser"] {
            assert_eq!(safe_relay_state(ok), Some(ok), "{ok}");
        }
        let longest = format!("/{}", "a".repeat(MAX_RELAY_STATE_BYTES - 1));
        assert_eq!(safe_relay_state(&longest), Some(longest.as_str()));
    }

    #[test]
    fn safe_relay_state_refuses_open_redirect_payloads() {
        let too_long = format!("/{}", "a".repeat(MAX_RELAY_STATE_BYTES));
        for bad in [
            "",
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/apps\\..\\x",
            "https://evil.com",
            "http:evil.com",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "\t//evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            " /apps",
            "/apps page",
            "/apps\u{a0}x",
            "/\u{7f}",
            "evil.com",
            "apps/dashboard",
            "?next=/",
            "#/x",
            "/%2F%2Fevil.com",
            "/%2fevil.com",
            "/%5Cevil.com",
            "/x%5Cy",
            "/%0D%0ASet-Cookie:a=b",
            "/%zz",
            "/%C3",
            too_long.as_str(),
        ] {
            assert_eq!(safe_relay_state(bad), None, "{bad:?}");
        }
    }
}

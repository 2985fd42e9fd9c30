//! Cross-site request forgery defence for the session cookie, decided from request headers
//! alone (OWASP CSRF Prevention Cheat Sheet: "Verifying Origin with standard headers", "Fetch
//! Metadata", "custom request headers"; Fetch Metadata Request Headers §2.1 `Sec-Fetch-Site`).
//!
//! * A write authenticated by the cookie must prove where it came from: an allowed `Origin`
//!   (what every browser sends on a CORS-mode or POST request), or `Sec-Fetch-Site:
//!   same-origin`, or a custom header that no browser sends cross-site without a preflight.
//!   A request with none of them is refused: SameSite=Lax does not cover every browser or
//!   every sibling subdomain.
//! * A write that only *sets* a cookie (sign-in) is refused when it names another origin or is
//!   cross-site, and otherwise passes, so command-line clients can sign in.
//!
//! A present `Origin` always decides: a custom header next to a foreign `Origin` is refused.

/// What the request says about where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    pub origin: Option<String>,
    pub fetch_site: Option<String>,
    /// The custom request header is present.
    pub custom_header: bool,
}

/// Why a request was refused (the `reason` of the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Sec-Fetch-Site: cross-site` or `same-site`.
    CrossSite,
    /// `Origin` names an origin that is not allowed (including `null`).
    ForeignOrigin,
    /// No `Origin`, no `Sec-Fetch-Site: same-origin` and no custom header.
    Unproven,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CrossSite => "cross-site request refused (Sec-Fetch-Site)",
            Self::ForeignOrigin => "cross-origin request refused: Origin is not this site",
            Self::Unproven => {
                "a cookie-authenticated write needs an Origin header from this site, Sec-Fetch-Site: same-origin, \
                 or X-AxisSynapse-Request: 1"
            }
        })
    }
}

/// The origin check shared by both rules: a foreign `Origin` or a cross-site fetch is refused.
/// `Ok(true)` when an allowed `Origin` was seen. `same-site` counts as cross-site unless the
/// `Origin` is allowed (a dashboard on a sibling subdomain configured as `APP_ORIGIN`).
fn named_origin(s: &Signals, allowed: &[String]) -> Result<bool, Refusal> {
    let origin_ok = match &s.origin {
        Some(origin) if allowed.iter().any(|a| a == origin) => true,
        Some(_) => return Err(Refusal::ForeignOrigin),
        None => false,
    };
    match s.fetch_site.as_deref() {
        Some("cross-site") => Err(Refusal::CrossSite),
        Some("same-site") if !origin_ok => Err(Refusal::CrossSite),
        _ => Ok(origin_ok),
    }
}

/// The rule for writes that set but do not use the session cookie (sign-in).
pub fn check_named_origin(s: &Signals, allowed: &[String]) -> Result<(), Refusal> {
    named_origin(s, allowed).map(|_| ())
}

/// The rule for writes authenticated by the session cookie.
pub fn check_cookie_write(s: &Signals, allowed: &[String]) -> Result<(), Refusal> {
    let origin_ok = named_origin(s, allowed)?;
    if origin_ok || s.fetch_site.as_deref() == Some("same-origin") || s.custom_header {
        Ok(())
    } else {
        Err(Refusal::Unproven)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SELF: &str = "https://api.example.com";
    const APP: &str = "https://app.example.com";

    fn allowed() -> Vec<String> {
        vec![SELF.to_string(), APP.to_string()]
    }

    fn sig(origin: Option<&str>, fetch_site: Option<&str>, custom_header: bool) -> Signals {
        Signals { origin: origin.map(str::to_string), fetch_site: fetch_site.map(str::to_string), custom_header }
    }

    /// The defect this rule fixes: a cookie write with neither header went through.
    #[test]
    fn a_cookie_write_with_no_signal_is_refused() {
        assert_eq!(check_cookie_write(&sig(None, None, false), &allowed()), Err(Refusal::Unproven));
        assert_eq!(check_cookie_write(&sig(None, Some("none"), false), &allowed()), Err(Refusal::Unproven));
    }

    #[test]
    fn each_proof_is_enough_on_its_own() {
        for s in [
            sig(Some(SELF), None, false),
            sig(Some(APP), Some("same-site"), false),
            sig(None, Some("same-origin"), false),
            sig(None, None, true),
            sig(Some(SELF), Some("same-origin"), true),
        ] {
            assert_eq!(check_cookie_write(&s, &allowed()), Ok(()), "{s:?}");
        }
    }

    #[test]
    fn a_foreign_origin_or_cross_site_fetch_always_loses() {
        let cases = [
            (sig(Some("https://evil.example"), None, true), Refusal::ForeignOrigin),
            (sig(Some("null"), Some("same-origin"), true), Refusal::ForeignOrigin),
            (sig(None, Some("cross-site"), true), Refusal::CrossSite),
            (sig(Some(SELF), Some("cross-site"), false), Refusal::CrossSite),
            (sig(None, Some("same-site"), true), Refusal::CrossSite),
        ];
        for (s, why) in cases {
            assert_eq!(check_cookie_write(&s, &allowed()), Err(why), "{s:?}");
            assert_eq!(check_named_origin(&s, &allowed()), Err(why), "{s:?}");
        }
    }

    #[test]
    fn sign_in_without_headers_passes_for_command_line_clients() {
        assert_eq!(check_named_origin(&sig(None, None, false), &allowed()), Ok(()));
        assert_eq!(check_named_origin(&sig(Some(APP), None, false), &allowed()), Ok(()));
    }
}

//! What a session list shows about a device: a short label from the User-Agent and a coarse
//! IP prefix (IPv4 /24, IPv6 /48), so the list helps a user recognise a session without
//! storing full addresses.

use std::net::IpAddr;

/// "Chrome on macOS", "Firefox on Linux", "curl", … Unknown agents give "Unknown device".
pub fn label(user_agent: &str) -> String {
    let ua = user_agent.get(..512).unwrap_or(user_agent);
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests/", "Python requests"),
        ("ureq/", "ureq"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => format!("Browser on {o}"),
        (None, None) => "Unknown device".to_string(),
    }
}

/// The network prefix shown for a client address: `203.0.113.0/24`, `2001:db8:1::/48`.
pub fn ip_prefix(ip: &str) -> Option<String> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_prefix(&v4.to_string());
            }
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            Some(format!("{prefix}/48"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_common_agents() {
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(label(chrome_mac), "Chrome on macOS");
        let edge_win =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(label(edge_win), "Edge on Windows");
        let safari_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(label(safari_ios), "Safari on iOS");
        assert_eq!(label("curl/8.5.0"), "curl");
        assert_eq!(label(""), "Unknown device");
    }

    #[test]
    fn prefixes_hide_the_host_part() {
        assert_eq!(ip_prefix("203.0.113.42").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(ip_prefix("2001:db8:1:2::5").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(ip_prefix("::ffff:198.51.100.7").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(ip_prefix("not an ip"), None);
    }
}

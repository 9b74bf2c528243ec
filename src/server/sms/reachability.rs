//! Whether Twilio, calling from the public internet, can use a webhook address: the settings page
//! warns beside the webhook URL when `PUBLIC_BASE_URL` names this computer, a private network, a
//! name only the local network knows, or plain http.
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Why Twilio cannot (or should not) call an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// localhost, 127.0.0.0/8, ::1, 0.0.0.0.
    ThisComputer,
    /// RFC 1918, link-local, shared (CGNAT) and IPv6 unique-local addresses.
    PrivateNetwork,
    /// A name without a public domain (`viesti`, `app.local`, `host.internal`).
    LocalName,
    /// A public address over plain http: reachable, but texts and signatures travel unencrypted.
    PlainHttp,
}

impl Unreachable {
    /// What is wrong, for the settings page.
    pub fn explain(self) -> &'static str {
        match self {
            Self::ThisComputer => "This address points at this computer, which Twilio can't reach.",
            Self::PrivateNetwork => {
                "This is a private network address, which Twilio can't reach from the internet."
            }
            Self::LocalName => {
                "This name is known only inside your network, so Twilio can't reach it."
            }
            Self::PlainHttp => {
                "This address uses plain http: your customers' texts and Twilio's signatures would travel unencrypted."
            }
        }
    }
}

/// The problem with `url` as an address Twilio calls, if any.
pub fn check(url: &Url) -> Option<Unreachable> {
    let host = match url.host() {
        None => Some(Unreachable::LocalName),
        Some(Host::Domain(name)) => domain(name),
        Some(Host::Ipv4(ip)) => ipv4(ip),
        Some(Host::Ipv6(ip)) => ipv6(ip),
    };
    host.or_else(|| (url.scheme() != "https").then_some(Unreachable::PlainHttp))
}

fn domain(name: &str) -> Option<Unreachable> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return Some(Unreachable::ThisComputer);
    }
    const LOCAL_SUFFIXES: [&str; 6] = [
        ".local",
        ".internal",
        ".lan",
        ".home.arpa",
        ".intranet",
        ".corp",
    ];
    let local = !name.contains('.') || LOCAL_SUFFIXES.iter().any(|s| name.ends_with(s));
    local.then_some(Unreachable::LocalName)
}

fn ipv4(ip: Ipv4Addr) -> Option<Unreachable> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || ip.is_unspecified() {
        Some(Unreachable::ThisComputer)
    } else if ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b)) {
        Some(Unreachable::PrivateNetwork)
    } else {
        None
    }
}

fn ipv6(ip: Ipv6Addr) -> Option<Unreachable> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return ipv4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_loopback() || ip.is_unspecified() {
        Some(Unreachable::ThisComputer)
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 {
        Some(Unreachable::PrivateNetwork)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(url: &str) -> Option<Unreachable> {
        check(&Url::parse(url).expect("url"))
    }

    #[test]
    fn addresses_twilio_cannot_call_are_named() {
        use Unreachable::*;
        for (url, expected) in [
            (
                "http://127.0.0.1:3000/api/webhooks/twilio/sms",
                Some(ThisComputer),
            ),
            ("https://localhost/api", Some(ThisComputer)),
            ("https://app.localhost/api", Some(ThisComputer)),
            ("http://[::1]:3000/", Some(ThisComputer)),
            ("http://0.0.0.0:3000/", Some(ThisComputer)),
            ("https://10.1.2.3/", Some(PrivateNetwork)),
            ("https://172.16.0.9/", Some(PrivateNetwork)),
            ("https://192.168.1.20/", Some(PrivateNetwork)),
            ("https://169.254.1.1/", Some(PrivateNetwork)),
            ("https://100.64.0.1/", Some(PrivateNetwork)),
            ("https://[fd00::1]/", Some(PrivateNetwork)),
            ("https://[fe80::1]/", Some(PrivateNetwork)),
            ("https://[::ffff:192.168.0.1]/", Some(PrivateNetwork)),
            ("https://viesti/", Some(LocalName)),
            ("https://viesti.local/", Some(LocalName)),
            ("https://db.internal/", Some(LocalName)),
            ("http://sms.example.com/", Some(PlainHttp)),
            ("http://203.0.113.7/", Some(PlainHttp)),
            ("https://sms.example.com/api/webhooks/twilio/sms", None),
            ("https://SMS.Example.COM./", None),
            ("https://203.0.113.7/", None),
            ("https://100.128.0.1/", None),
            ("https://[2001:db8::1]/", None),
        ] {
            assert_eq!(verdict(url), expected, "{url}");
        }
    }
}

//! `X-Twilio-Signature`: HMAC-SHA1 with the account's Auth Token over the full URL Twilio requested
//! followed by the POST parameters sorted by name, then base64. Matches twilio-python's
//! `RequestValidator` (shared/twilio/API.md §9): repeated names contribute each distinct value in sorted
//! order, and a URL matches with or without its scheme's default port.
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

type HmacSha1 = Hmac<Sha1>;

/// The string Twilio signs: the URL, then `name` + `value` for every parameter in order.
fn signed_payload(url: &str, params: &[(String, String)]) -> String {
    let mut by_name: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        by_name.entry(name).or_default().insert(value);
    }
    let mut payload = url.to_owned();
    for (name, values) in by_name {
        for value in values {
            payload.push_str(name);
            payload.push_str(value);
        }
    }
    payload
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    // HMAC takes keys of any length (longer ones are hashed first), so `new_from_slice` cannot fail.
    let mut mac = <HmacSha1 as hmac::digest::KeyInit>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(signed_payload(url, params).as_bytes());
    mac
}

/// The signature Twilio would send for this request.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `signature` is Twilio's for this request, compared in constant time.
pub fn is_valid(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    url_variants(url).iter().any(|candidate| {
        mac(auth_token, candidate, params)
            .verify_slice(&expected)
            .is_ok()
    })
}

/// The URL as given, plus the same URL with its scheme's default port spelled out and left out:
/// Twilio has signed both forms at different times. A non-default port is never dropped.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    if let Ok(parsed) = url::Url::parse(url)
        && parsed.port().is_none()
        && let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default())
    {
        let scheme = parsed.scheme();
        let rest = &parsed[url::Position::BeforePath..];
        variants.push(format!("{scheme}://{host}{rest}"));
        variants.push(format!("{scheme}://{host}:{port}{rest}"));
    }
    variants.dedup();
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn params() -> impl Strategy<Value = Vec<(String, String)>> {
            prop::collection::vec((".{0,10}", ".{0,30}"), 0..8)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            /// Any token, URL, form and header: checked without a panic, and only the signature
            /// made with that token over exactly that URL and form is valid.
            #[test]
            fn only_the_exact_signature_is_valid(
                token in ".{0,40}",
                url in ".{0,60}",
                form in params(),
                header in ".{0,40}",
                other_token in "[0-9a-f]{32}",
            ) {
                let signature = sign(&token, &url, &form);
                prop_assert!(is_valid(&token, &url, &form, &signature));
                prop_assert_eq!(is_valid(&token, &url, &form, &header), header == signature);
                if other_token != token {
                    prop_assert!(!is_valid(&other_token, &url, &form, &signature));
                }
                let mut longer = form.clone();
                longer.push(("Extra".into(), "1".into()));
                prop_assert!(!is_valid(&token, &url, &longer, &signature));
            }
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // Vectors from twilio-python's tests/unit/test_request_validator.py (shared/twilio/API.md §9).
    fn voice_params() -> Vec<(String, String)> {
        params(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn signs_like_twilio_python() {
        assert_eq!(
            sign("12345", URL, &voice_params()),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        assert_eq!(
            sign(
                "12345",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &voice_params()
            ),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
    }

    #[test]
    fn repeated_names_are_signed_once_per_value_in_value_order() {
        let repeated = params(&[
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ]);
        assert_eq!(
            sign("12345", URL, &repeated),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
        let reordered = params(&[
            ("Digits", "1234"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Sid", "CA123"),
        ]);
        assert!(is_valid(
            "12345",
            URL,
            &reordered,
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        ));
    }

    #[test]
    fn validates_with_or_without_the_default_port() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(is_valid(
            "12345",
            URL,
            &voice_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(is_valid(
            "12345",
            URL,
            &voice_params(),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
        assert!(is_valid(
            "12345",
            with_port,
            &voice_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(is_valid(
            "12345",
            with_port,
            &voice_params(),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        ));
    }

    #[test]
    fn rejects_a_wrong_token_a_changed_parameter_or_garbage() {
        assert!(!is_valid(
            "54321",
            URL,
            &voice_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        let mut changed = voice_params();
        changed[2].1 = "9999".into();
        assert!(!is_valid(
            "12345",
            URL,
            &changed,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(!is_valid("12345", URL, &voice_params(), "not base64!"));
        assert!(!is_valid("12345", URL, &voice_params(), ""));
    }

    #[test]
    fn empty_and_unknown_parameters_count() {
        let with_empty = params(&[("Body", ""), ("NewThing", "x"), ("From", "+1")]);
        let signature = sign("tok", "http://example.com/hook", &with_empty);
        assert!(is_valid(
            "tok",
            "http://example.com/hook",
            &with_empty,
            &signature
        ));
        let without_empty = params(&[("NewThing", "x"), ("From", "+1")]);
        assert!(!is_valid(
            "tok",
            "http://example.com/hook",
            &without_empty,
            &signature
        ));
    }

    #[test]
    fn a_non_default_port_is_kept() {
        let url = "http://127.0.0.1:3000/api/webhooks/twilio/sms";
        let signature = sign("tok", url, &[]);
        assert!(is_valid("tok", url, &[], &signature));
        assert!(!is_valid(
            "tok",
            "http://127.0.0.1/api/webhooks/twilio/sms",
            &[],
            &signature
        ));
    }
}

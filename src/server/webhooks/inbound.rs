//! Twilio's inbound-message webhook form, parsed into a typed message (shared/twilio/API.md §7).
use crate::domain::{AccountSid, E164, MessageSid};

pub use crate::domain::inbound::InboundSms;

/// The first value of a form parameter.
pub fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Parses the form, or says which parameter is missing or malformed (never echoing a value).
pub fn parse(params: &[(String, String)]) -> Result<InboundSms, String> {
    let required = |name: &str| param(params, name).ok_or_else(|| format!("{name} is missing"));
    let message_sid = MessageSid::parse(required("MessageSid")?)
        .map_err(|_| "MessageSid is malformed".to_owned())?;
    let account_sid = AccountSid::parse(required("AccountSid")?)
        .map_err(|_| "AccountSid is malformed".to_owned())?;
    let from =
        E164::parse(required("From")?).map_err(|_| "From is not an E.164 number".to_owned())?;
    let to = E164::parse(required("To")?).map_err(|_| "To is not an E.164 number".to_owned())?;
    let media_count = match param(params, "NumMedia") {
        None | Some("") => 0,
        Some(n) => n
            .parse()
            .map_err(|_| "NumMedia is not a number".to_owned())?,
    };
    Ok(InboundSms {
        message_sid,
        account_sid,
        from,
        to,
        body: param(params, "Body").unwrap_or_default().to_owned(),
        media_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Forms as anyone could post them: Twilio's parameter names and others, any values
        /// (sometimes nearly right ones), repeated or missing.
        fn forms() -> impl Strategy<Value = Vec<(String, String)>> {
            let name = prop_oneof![
                prop::sample::select(vec![
                    "MessageSid",
                    "AccountSid",
                    "From",
                    "To",
                    "Body",
                    "NumMedia",
                    "SmsStatus",
                ])
                .prop_map(str::to_owned),
                ".{0,12}",
            ];
            let value = prop_oneof![
                ".{0,40}",
                "SM[0-9a-f]{32}",
                "AC[0-9a-f]{32}",
                "\\+[0-9]{1,16}",
                "[0-9]{0,12}",
            ];
            prop::collection::vec((name, value), 0..12)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any form parses or is refused with a reason that names no value; none panics.
            #[test]
            fn any_form_parses_or_is_refused_without_echoing_a_value(form in forms()) {
                match parse(&form) {
                    Ok(sms) => {
                        prop_assert!(sms.from.as_str().starts_with('+'));
                        prop_assert_eq!(param(&form, "Body").unwrap_or_default(), sms.body);
                    }
                    Err(reason) => {
                        for (_, value) in form.iter().filter(|(_, v)| v.len() > 3) {
                            prop_assert!(!reason.contains(value.as_str()), "{reason}");
                        }
                    }
                }
            }
        }
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn valid() -> Vec<(String, String)> {
        form(&[
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+358501234567"),
            ("To", "+358401234567"),
            ("Body", "Hei!"),
            ("NumMedia", "0"),
            ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
            ("SomethingNew", "x"),
        ])
    }

    #[test]
    fn a_full_form_parses_and_unknown_parameters_are_ignored() {
        let sms = parse(&valid()).expect("valid");
        assert_eq!(sms.from.as_str(), "+358501234567");
        assert_eq!(sms.body, "Hei!");
        assert_eq!(sms.media_count, 0);
    }

    #[test]
    fn missing_or_malformed_parameters_are_named() {
        let mut no_sid = valid();
        no_sid.retain(|(k, _)| k != "MessageSid");
        assert_eq!(parse(&no_sid), Err("MessageSid is missing".to_owned()));
        let mut bad_from = valid();
        bad_from[2].1 = "whatsapp:+358501234567".into();
        assert_eq!(
            parse(&bad_from),
            Err("From is not an E.164 number".to_owned())
        );
        let mut bad_media = valid();
        bad_media[5].1 = "two".into();
        assert_eq!(
            parse(&bad_media),
            Err("NumMedia is not a number".to_owned())
        );
    }

    #[test]
    fn an_mms_without_body_parses_with_its_media_count() {
        let mut mms = valid();
        mms.retain(|(k, _)| k != "Body");
        mms[4].1 = "2".into();
        let sms = parse(&mms).expect("valid");
        assert_eq!((sms.body.as_str(), sms.media_count), ("", 2));
    }
}

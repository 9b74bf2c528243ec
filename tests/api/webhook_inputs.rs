//! Whatever anyone posts to the webhook routes, the answer is a refusal or an acknowledgement,
//! never a 5xx: forms drawn by proptest (Twilio's parameter names and others, values nearly right
//! and arbitrary, with and without a signature), some signed with the connection's token.
use crate::helpers::Backend;
use crate::on_both_databases;
use crate::sms_pipeline::connected;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use viesti::server::twilio::signature;

fn forms(number: String, account: String) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "MessageSid",
            "AccountSid",
            "From",
            "To",
            "Body",
            "NumMedia",
            "MessageStatus",
            "ErrorCode",
        ])
        .prop_map(str::to_owned),
        ".{0,10}",
    ];
    let value = prop_oneof![
        ".{0,40}",
        "SM[0-9a-f]{32}",
        Just(number),
        Just(account),
        "\\+[0-9]{1,16}",
        "[0-9]{0,7}",
    ];
    prop::collection::vec((name, value), 0..10)
}

async fn no_webhook_input_is_a_server_error(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let strategy = forms(
        sms.demo.sms_number.as_str().to_owned(),
        sms.demo.account_sid.as_str().to_owned(),
    );
    let mut runner = TestRunner::deterministic();
    let client = reqwest::Client::new();
    for case in 0..300 {
        let form = strategy.new_tree(&mut runner).expect("a form").current();
        for path in ["/api/webhooks/twilio/sms", "/api/webhooks/twilio/status"] {
            let url = sms.app.url(path);
            let mut request = client.post(&url).form(&form);
            match case % 3 {
                0 => {}
                1 => request = request.header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl"),
                _ => {
                    let signed = signature::sign(sms.demo.auth_token.expose(), &url, &form);
                    request = request.header("X-Twilio-Signature", signed);
                }
            }
            let response = request.send().await.expect("request");
            let status = response.status();
            assert!(
                !status.is_server_error(),
                "{path} answered {status} to {form:?}: {}",
                response.text().await.unwrap_or_default()
            );
        }
    }
}

on_both_databases!(no_webhook_input_is_a_server_error);

//! The Twilio emulator, driven over HTTP as the app drives Twilio: JSON that matches Twilio's OpenAPI
//! schemas, Twilio's auth and error codes, signed status callbacks and inbound webhooks, and the faults
//! tests inject. It needs no database, so these tests start only the emulator and a tiny webhook receiver.
use axum::extract::Request;
use axum::http::header;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use viesti::domain::{AccountSid, AuthToken, E164};
use viesti::server::emulator::{
    AccountStatus, CreateFault, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_FRIENDLY_NAME,
    DEMO_SMS_NUMBER, DEMO_VOICE_ONLY_NUMBER, DeliveryOutcome, DemoAccount, Direction,
    EmulatedMessage, Emulator, EmulatorError, MessageStatus,
};
use viesti::server::twilio::signature;

const CUSTOMER: &str = "+358501112233";

fn e164(text: &str) -> E164 {
    E164::parse(text).expect("a valid E.164 number")
}

/// A running emulator with the demo account, and a client that authenticates as it.
struct Twilio {
    emulator: Emulator,
    base: String,
    demo: DemoAccount,
    http: reqwest::Client,
}

impl Twilio {
    async fn start() -> Self {
        let emulator = Emulator::new();
        emulator.set_callback_delay(Duration::ZERO);
        let demo = emulator.seed_demo();
        let address = emulator
            .start("127.0.0.1:0".parse().expect("a socket address"))
            .await
            .expect("the emulator binds a free port");
        Self {
            emulator,
            base: format!("http://{address}"),
            demo,
            http: reqwest::Client::new(),
        }
    }

    /// `path` under the demo account, e.g. `/Messages.json` (or `.json` for the account itself).
    fn url(&self, path: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}{path}",
            self.base, self.demo.account_sid
        )
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .basic_auth(
                self.demo.account_sid.as_str(),
                Some(self.demo.auth_token.expose()),
            )
            .send()
            .await
            .expect("the emulator answers")
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .basic_auth(
                self.demo.account_sid.as_str(),
                Some(self.demo.auth_token.expose()),
            )
            .form(form)
            .send()
            .await
            .expect("the emulator answers")
    }

    /// CreateMessage from the demo SMS number.
    async fn send(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("From", DEMO_SMS_NUMBER)];
        form.extend_from_slice(extra);
        self.post("/Messages.json", &form).await
    }

    async fn set_sms_url(&self, url: &str, method: &str) {
        let path = format!("/IncomingPhoneNumbers/{}.json", self.demo.sms_number_sid);
        let response = self
            .post(&path, &[("SmsUrl", url), ("SmsMethod", method)])
            .await;
        assert_eq!(response.status(), StatusCode::OK, "update the SmsUrl");
    }

    /// Waits until the message reaches `status` (its lifecycle runs in the background).
    async fn settled(&self, sid: &str, status: MessageStatus) -> EmulatedMessage {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found = self
                .emulator
                .messages()
                .into_iter()
                .find(|m| m.sid.as_str() == sid);
            match found {
                Some(message) if message.status == status => return message,
                _ if Instant::now() > deadline => panic!("{sid} never became {status:?}"),
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Asserts Twilio's error body for `status` and `code`.
async fn assert_twilio_error(response: reqwest::Response, status: StatusCode, code: u16) {
    assert_eq!(response.status(), status);
    let body = body(response).await;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    assert!(body["message"].is_string(), "{body}");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message", "more_info", "status"]);
}

/// One request the emulator made to the app.
#[derive(Debug)]
struct Captured {
    method: String,
    /// The full URL requested, as the app would rebuild it for signature checks.
    url: String,
    signature: Option<String>,
    params: Vec<(String, String)>,
}

impl Captured {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether it carries Twilio's signature for `token`: over URL + form params for POST, over the
    /// full URL (query included) for GET.
    fn signed_with(&self, token: &str) -> bool {
        let signature = self.signature.as_deref().unwrap_or_default();
        if self.method == "GET" {
            signature::is_valid(token, &self.url, &[], signature)
        } else {
            signature::is_valid(token, &self.url, &self.params, signature)
        }
    }
}

/// A stand-in for the app's webhook endpoints: records every request and answers empty TwiML.
struct Hook {
    base: String,
    requests: mpsc::UnboundedReceiver<Captured>,
}

impl Hook {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the hook binds a free port");
        let base = format!("http://{}", listener.local_addr().expect("a bound address"));
        let (sender, requests) = mpsc::unbounded_channel();
        let origin = base.clone();
        let app = axum::Router::new().fallback(move |request: Request| {
            let (sender, origin) = (sender.clone(), origin.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .expect("a readable body");
                let form = if parts.method == "GET" {
                    parts.uri.query().unwrap_or_default().as_bytes().to_vec()
                } else {
                    body.to_vec()
                };
                let captured = Captured {
                    method: parts.method.to_string(),
                    url: format!("{origin}{}", parts.uri),
                    signature: parts
                        .headers
                        .get("x-twilio-signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    params: form_urlencoded::parse(&form).into_owned().collect(),
                };
                sender.send(captured).expect("the test still listens");
                (
                    [(header::CONTENT_TYPE, "text/xml")],
                    r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#,
                )
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the hook serves") });
        Self { base, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn next(&mut self) -> Captured {
        tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .expect("a webhook request within 5 s")
            .expect("the hook is running")
    }

    /// Gives straggling requests a moment, then asserts none came.
    async fn assert_quiet(&mut self) {
        let extra = tokio::time::timeout(Duration::from_millis(200), self.requests.recv()).await;
        assert!(extra.is_err(), "unexpected webhook request: {extra:?}");
    }
}

// ---- OpenAPI conformance ----

const OPENAPI_SUBSET: &str = include_str!("../fixtures/twilio_openapi_subset.json");

/// The schemas of `tests/fixtures/twilio_openapi_subset.json`, checked strictly: the same keys as the
/// schema's properties, each of the schema's JSON type, `null` only where nullable, enums respected.
struct Schemas(Value);

impl Schemas {
    fn load() -> Self {
        let document: Value = serde_json::from_str(OPENAPI_SUBSET).expect("the fixture is JSON");
        Self(document["components"]["schemas"].clone())
    }

    /// Every way `value` differs from the schema called `name`.
    fn errors(&self, name: &str, value: &Value) -> Vec<String> {
        let schema = self
            .0
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"));
        let mut errors = Vec::new();
        self.check(schema, value, name, &mut errors);
        errors
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            let target = self
                .0
                .get(name)
                .unwrap_or_else(|| panic!("{at}: unresolved {reference}"));
            self.check(target, value, at, errors);
            return;
        }
        if value.is_null() {
            if schema["nullable"] != true {
                errors.push(format!("{at}: null, but the schema does not allow it"));
            }
            return;
        }
        let expected = schema["type"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: schema without a type"));
        let fits = match expected {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            other => panic!("{at}: unknown schema type {other}"),
        };
        if !fits {
            errors.push(format!("{at}: {value} is not of type {expected}"));
            return;
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
        if let (Some(properties), Some(object)) =
            (schema["properties"].as_object(), value.as_object())
        {
            for name in properties.keys().filter(|name| !object.contains_key(*name)) {
                errors.push(format!("{at}.{name}: missing"));
            }
            for (name, field) in object {
                match properties.get(name) {
                    Some(property) => self.check(property, field, &format!("{at}.{name}"), errors),
                    None => errors.push(format!("{at}.{name}: not in the schema")),
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (i, item) in array.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

#[tokio::test]
async fn every_response_matches_twilios_openapi_schema() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    let failing = e164("+358509998877");
    twilio
        .emulator
        .set_delivery_outcome(&failing, DeliveryOutcome::Failed(30007));
    twilio.set_sms_url(&hook.url("/sms"), "POST").await;

    let mut samples = vec![
        ("api.v2010.account", body(twilio.get(".json").await).await),
        (
            "ListIncomingPhoneNumberResponse",
            body(twilio.get("/IncomingPhoneNumbers.json").await).await,
        ),
        (
            "ListIncomingPhoneNumberResponse",
            body(
                twilio
                    .get("/IncomingPhoneNumbers.json?PhoneNumber=%2B14155550100")
                    .await,
            )
            .await,
        ),
        (
            "api.v2010.account.incoming_phone_number",
            body(
                twilio
                    .get(&format!(
                        "/IncomingPhoneNumbers/{}.json",
                        twilio.demo.voice_only_number_sid
                    ))
                    .await,
            )
            .await,
        ),
    ];
    let sms = twilio
        .send(&[("To", CUSTOMER), ("Body", "Hei! Miten voin auttaa?")])
        .await;
    assert_eq!(sms.status(), StatusCode::CREATED);
    let mms = twilio
        .send(&[("To", CUSTOMER), ("MediaUrl", "https://example.com/a.png")])
        .await;
    assert_eq!(mms.status(), StatusCode::CREATED);
    let failed = twilio
        .send(&[("To", failing.as_str()), ("Body", "Hello")])
        .await;
    assert_eq!(failed.status(), StatusCode::CREATED);
    let status = twilio
        .emulator
        .send_inbound(&e164(CUSTOMER), &twilio.demo.sms_number, "Kiitos 👍", &[])
        .await
        .expect("the inbound webhook is delivered");
    assert_eq!(status, StatusCode::OK);
    hook.next().await;

    let mut sids = Vec::new();
    for created in [sms, mms, failed] {
        let message = body(created).await;
        sids.push(message["sid"].as_str().expect("a sid").to_owned());
        samples.push(("api.v2010.account.message", message));
    }
    twilio.settled(&sids[0], MessageStatus::Delivered).await;
    twilio.settled(&sids[2], MessageStatus::Failed).await;
    for sid in &sids {
        samples.push((
            "api.v2010.account.message",
            body(twilio.get(&format!("/Messages/{sid}.json")).await).await,
        ));
    }
    let messages = body(twilio.get("/Messages.json").await).await;
    assert_eq!(
        messages["messages"].as_array().map(Vec::len),
        Some(4),
        "three sent, one received"
    );
    samples.push(("ListMessageResponse", messages));
    samples.push((
        "ListMessageResponse",
        body(twilio.get("/Messages.json?To=%2B10000000000").await).await,
    ));

    let schemas = Schemas::load();
    for (schema, sample) in &samples {
        let errors = schemas.errors(schema, sample);
        assert!(errors.is_empty(), "{schema}: {errors:#?}\n{sample:#}");
    }
}

#[tokio::test]
async fn the_schema_check_catches_an_added_a_missing_or_a_mistyped_field() {
    let twilio = Twilio::start().await;
    let message = body(twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await).await;
    let schemas = Schemas::load();
    assert_eq!(
        schemas.errors("api.v2010.account.message", &message),
        Vec::<String>::new()
    );

    // Each change is (field, new value); `None` removes the field.
    let errors_after = |field: &str, value: Option<Value>| {
        let mut copy = message.as_object().expect("an object").clone();
        match value {
            Some(value) => copy.insert(field.to_owned(), value),
            None => copy.remove(field),
        };
        schemas.errors("api.v2010.account.message", &Value::Object(copy))
    };
    assert!(
        !errors_after("segments", Some(json!("1"))).is_empty(),
        "added"
    );
    assert!(!errors_after("price", None).is_empty(), "missing");
    assert!(
        !errors_after("num_segments", Some(json!(1))).is_empty(),
        "integer for string"
    );
    assert!(
        !errors_after("error_code", Some(json!("30007"))).is_empty(),
        "string for integer"
    );
    assert!(
        !errors_after("status", Some(json!("lost"))).is_empty(),
        "not in the enum"
    );
    assert!(
        !errors_after("status", Some(Value::Null)).is_empty(),
        "null, not nullable"
    );
    assert!(
        errors_after("body", Some(Value::Null)).is_empty(),
        "null, nullable"
    );
}

// ---- Auth and lookups ----

#[tokio::test]
async fn bad_credentials_get_401_with_twilio_error_20003() {
    let twilio = Twilio::start().await;
    let other_sid = AccountSid::parse("AC11111111111111111111111111111111").expect("a valid SID");
    let other_token = "22222222222222222222222222222222";
    twilio.emulator.add_account(
        other_sid.clone(),
        AuthToken::parse(other_token).expect("a valid token"),
        "Other",
        AccountStatus::Active,
    );
    let sid = twilio.demo.account_sid.as_str();
    let attempts = [
        (Some((sid, "00000000000000000000000000000000")), ".json"),
        (
            Some(("AC99999999999999999999999999999999", DEMO_AUTH_TOKEN)),
            ".json",
        ),
        (None, "/Messages.json"),
        // Valid credentials of another account, on the demo account's path.
        (
            Some((other_sid.as_str(), other_token)),
            "/IncomingPhoneNumbers.json",
        ),
        // A path that does not exist still says 401 first.
        (Some((sid, "wrong")), "/Calls.json"),
    ];
    for (credentials, path) in attempts {
        let mut request = twilio.http.get(twilio.url(path));
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.expect("the emulator answers");
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{credentials:?} {path}"
        );
        assert_eq!(
            body(response).await,
            json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
        );
    }
}

#[tokio::test]
async fn fetch_account_reports_the_seeded_status_and_only_an_active_account_may_do_more() {
    let twilio = Twilio::start().await;
    let account = body(twilio.get(".json").await).await;
    assert_eq!(account["sid"], DEMO_ACCOUNT_SID);
    assert_eq!(account["friendly_name"], DEMO_FRIENDLY_NAME);
    assert_eq!(account["status"], "active");

    let suspended = AccountSid::parse("AC33333333333333333333333333333333").expect("a valid SID");
    let token = "44444444444444444444444444444444";
    let auth = AuthToken::parse(token).expect("a valid token");
    twilio.emulator.add_account(
        suspended.clone(),
        auth,
        "Late payer",
        AccountStatus::Suspended,
    );
    let url = |path: &str| format!("{}/2010-04-01/Accounts/{suspended}{path}", twilio.base);
    let fetch = twilio
        .http
        .get(url(".json"))
        .basic_auth(suspended.as_str(), Some(token));
    let account = body(fetch.send().await.expect("the emulator answers")).await;
    assert_eq!(account["status"], "suspended");
    let list = twilio
        .http
        .get(url("/IncomingPhoneNumbers.json"))
        .basic_auth(suspended.as_str(), Some(token));
    assert_twilio_error(
        list.send().await.expect("the emulator answers"),
        StatusCode::UNAUTHORIZED,
        20003,
    )
    .await;
}

#[tokio::test]
async fn number_lookup_finds_the_number_or_answers_an_empty_list() {
    let twilio = Twilio::start().await;
    let found = body(
        twilio
            .get("/IncomingPhoneNumbers.json?PhoneNumber=%2B358401234567")
            .await,
    )
    .await;
    let numbers = found["incoming_phone_numbers"].as_array().expect("a list");
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0]["phone_number"], DEMO_SMS_NUMBER);
    assert_eq!(numbers[0]["sid"], twilio.demo.sms_number_sid.as_str());
    assert_eq!(numbers[0]["capabilities"]["sms"], true);
    assert_eq!(numbers[0]["sms_url"], "", "Twilio's value for no SmsUrl");

    let voice_only = body(
        twilio
            .get("/IncomingPhoneNumbers.json?PhoneNumber=%2B358912345678")
            .await,
    )
    .await;
    assert_eq!(
        voice_only["incoming_phone_numbers"][0]["capabilities"]["sms"],
        false
    );

    // A partial match: both demo numbers contain 1234567.
    let partial = body(
        twilio
            .get("/IncomingPhoneNumbers.json?PhoneNumber=1234567")
            .await,
    )
    .await;
    assert_eq!(
        partial["incoming_phone_numbers"].as_array().map(Vec::len),
        Some(2)
    );

    for missing in ["%2B14155550100", "+358401234567"] {
        let response = twilio
            .get(&format!("/IncomingPhoneNumbers.json?PhoneNumber={missing}"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "not found is an empty page, not a 404"
        );
        let page = body(response).await;
        assert_eq!(
            page["incoming_phone_numbers"],
            json!([]),
            "{missing}: a raw + is a space"
        );
        assert_eq!(page["next_page_uri"], Value::Null);
    }
}

#[tokio::test]
async fn an_sms_url_update_persists() {
    let twilio = Twilio::start().await;
    let path = format!("/IncomingPhoneNumbers/{}.json", twilio.demo.sms_number_sid);
    let url = "https://viesti.example/api/webhooks/twilio/sms?bot=1";
    let updated = body(
        twilio
            .post(&path, &[("SmsUrl", url), ("SmsMethod", "POST")])
            .await,
    )
    .await;
    assert_eq!(updated["sms_url"], url);
    assert_eq!(updated["sms_method"], "POST");

    let listed = body(
        twilio
            .get("/IncomingPhoneNumbers.json?PhoneNumber=%2B358401234567")
            .await,
    )
    .await;
    assert_eq!(listed["incoming_phone_numbers"][0]["sms_url"], url);
    assert_eq!(
        twilio.emulator.number_sms_url(&twilio.demo.sms_number),
        Some((url.to_owned(), "POST".to_owned()))
    );

    let invalid = twilio.post(&path, &[("SmsUrl", "not a url")]).await;
    assert_twilio_error(invalid, StatusCode::BAD_REQUEST, 21502).await;
    let unknown = twilio
        .post(
            "/IncomingPhoneNumbers/PN00000000000000000000000000000000.json",
            &[("SmsUrl", url)],
        )
        .await;
    assert_twilio_error(unknown, StatusCode::NOT_FOUND, 20404).await;
    assert_eq!(
        twilio
            .emulator
            .number_sms_url(&twilio.demo.sms_number)
            .map(|(u, _)| u),
        Some(url.to_owned())
    );
}

#[tokio::test]
async fn unknown_resources_get_404_with_twilio_error_20404() {
    let twilio = Twilio::start().await;
    for path in [
        "/Messages/SM00000000000000000000000000000000.json",
        "/IncomingPhoneNumbers/PN00000000000000000000000000000000.json",
        "/Calls.json",
    ] {
        assert_twilio_error(twilio.get(path).await, StatusCode::NOT_FOUND, 20404).await;
    }
}

// ---- CreateMessage ----

#[tokio::test]
async fn create_message_refuses_what_twilio_refuses_with_its_error_codes() {
    let twilio = Twilio::start().await;
    let opted_out = e164("+358501234000");
    twilio.emulator.opt_out(&opted_out);
    let other = AccountSid::parse("AC55555555555555555555555555555555").expect("a valid SID");
    let other_token = AuthToken::parse("66666666666666666666666666666666").expect("a valid token");
    twilio
        .emulator
        .add_account(other.clone(), other_token, "Other", AccountStatus::Active);
    twilio
        .emulator
        .add_number(&other, &e164("+358407654321"), true);

    let too_long = "a".repeat(1601);
    let cases: [(&[(&str, &str)], u16); 10] = [
        (
            &[("From", DEMO_SMS_NUMBER), ("To", "12345"), ("Body", "x")],
            21211,
        ),
        (
            &[("From", DEMO_SMS_NUMBER), ("To", "+358 abc"), ("Body", "x")],
            21211,
        ),
        (
            &[
                ("From", DEMO_SMS_NUMBER),
                ("To", opted_out.as_str()),
                ("Body", "x"),
            ],
            21610,
        ),
        (
            &[
                ("From", DEMO_SMS_NUMBER),
                ("To", CUSTOMER),
                ("Body", too_long.as_str()),
            ],
            21617,
        ),
        (
            &[("From", "+358409999999"), ("To", CUSTOMER), ("Body", "x")],
            21606,
        ),
        (
            &[
                ("From", DEMO_VOICE_ONLY_NUMBER),
                ("To", CUSTOMER),
                ("Body", "x"),
            ],
            21606,
        ),
        (
            &[("From", "+358407654321"), ("To", CUSTOMER), ("Body", "x")],
            21606,
        ),
        (&[("From", DEMO_SMS_NUMBER), ("To", CUSTOMER)], 21602),
        (
            &[
                ("From", DEMO_SMS_NUMBER),
                ("To", CUSTOMER),
                ("Body", "x"),
                ("StatusCallback", "https://bad_host.example/cb"),
            ],
            21609,
        ),
        (
            &[
                ("From", DEMO_SMS_NUMBER),
                ("To", CUSTOMER),
                ("Body", "x"),
                ("StatusCallback", "/relative"),
            ],
            21609,
        ),
    ];
    for (form, code) in cases {
        let response = twilio.post("/Messages.json", form).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{code}: {form:?}"
        );
        assert_twilio_error(response, StatusCode::BAD_REQUEST, code).await;
    }
    assert_eq!(
        twilio.emulator.messages(),
        Vec::new(),
        "nothing refused is stored"
    );

    let longest = "a".repeat(1600);
    let at_limit = twilio
        .send(&[("To", CUSTOMER), ("Body", longest.as_str())])
        .await;
    assert_eq!(
        at_limit.status(),
        StatusCode::CREATED,
        "1,600 characters are allowed"
    );
    assert_eq!(body(at_limit).await["num_segments"], "11");
}

#[tokio::test]
async fn a_created_message_is_queued_and_found_by_fetch_and_by_list_filters() {
    let twilio = Twilio::start().await;
    let response = twilio.send(&[("To", CUSTOMER), ("Body", "Hei! 😀")]).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = body(response).await;
    assert_eq!(created["status"], "queued");
    assert_eq!(created["direction"], "outbound-api");
    assert_eq!(created["from"], DEMO_SMS_NUMBER);
    assert_eq!(created["to"], CUSTOMER);
    assert_eq!(created["num_segments"], "1");
    assert_eq!(created["num_media"], "0");
    assert_eq!(created["date_sent"], Value::Null);
    let sid = created["sid"].as_str().expect("a sid");
    assert!(sid.starts_with("SM"), "{sid}");

    twilio.settled(sid, MessageStatus::Delivered).await;
    let fetched = body(twilio.get(&format!("/Messages/{sid}.json")).await).await;
    assert_eq!(fetched["status"], "delivered");
    assert!(
        fetched["date_sent"]
            .as_str()
            .is_some_and(|d| d.ends_with(" +0000")),
        "{fetched}"
    );

    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().expect("a day before");
    let tomorrow = today.succ_opt().expect("a day after");
    let only_it = [sid.to_owned()];
    let listed = |query: String| listed_sids(&twilio, query);
    assert_eq!(
        listed(format!(
            "To=%2B358501112233&From=%2B358401234567&DateSent%3E={today}"
        ))
        .await,
        only_it
    );
    assert_eq!(listed(format!("DateSent={today}")).await, only_it);
    assert_eq!(
        listed(format!("DateSent%3C={tomorrow}&DateSent%3E={yesterday}")).await,
        only_it
    );
    assert_eq!(listed("To=%2B358500000000".to_owned()).await, [""; 0]);
    assert_eq!(listed(format!("DateSent%3E={tomorrow}")).await, [""; 0]);
    assert_eq!(listed(format!("DateSent%3C={yesterday}")).await, [""; 0]);
    let garbage = twilio.get("/Messages.json?DateSent%3E=soon").await;
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
}

/// The SIDs ListMessage answers for `query`.
async fn listed_sids(twilio: &Twilio, query: String) -> Vec<String> {
    let page = body(twilio.get(&format!("/Messages.json?{query}")).await).await;
    page["messages"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["sid"].as_str().expect("a sid").to_owned())
        .collect()
}

#[tokio::test]
async fn a_list_pages_through_its_items() {
    let twilio = Twilio::start().await;
    for n in 0..3 {
        let text = format!("message {n}");
        let response = twilio
            .send(&[("To", CUSTOMER), ("Body", text.as_str())])
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let first = body(twilio.get("/Messages.json?PageSize=2").await).await;
    assert_eq!(first["messages"][0]["body"], "message 2", "newest first");
    assert_eq!(
        (first["start"].clone(), first["end"].clone()),
        (json!(0), json!(1))
    );
    let next = first["next_page_uri"].as_str().expect("a next page");
    let second = body(
        twilio
            .http
            .get(format!("{}{next}", twilio.base))
            .basic_auth(DEMO_ACCOUNT_SID, Some(DEMO_AUTH_TOKEN))
            .send()
            .await
            .expect("the emulator answers"),
    )
    .await;
    assert_eq!(second["messages"][0]["body"], "message 0");
    assert_eq!(second["next_page_uri"], Value::Null);
    assert!(second["previous_page_uri"].is_string());
}

// ---- Status callbacks ----

#[tokio::test]
async fn status_callbacks_arrive_signed_and_in_order_sent_then_delivered() {
    let twilio = Twilio::start().await;
    twilio
        .emulator
        .set_callback_delay(Duration::from_millis(20));
    let mut hook = Hook::start().await;
    let callback = hook.url("/api/webhooks/twilio/status?message=42");
    let created = body(
        twilio
            .send(&[
                ("To", CUSTOMER),
                ("Body", "Hei"),
                ("StatusCallback", callback.as_str()),
            ])
            .await,
    )
    .await;
    let sid = created["sid"].as_str().expect("a sid");

    for expected in ["sent", "delivered"] {
        let request = hook.next().await;
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, callback);
        assert!(request.signed_with(DEMO_AUTH_TOKEN), "{request:?}");
        assert!(!request.signed_with("00000000000000000000000000000000"));
        for (name, value) in [
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("MessageStatus", expected),
            ("SmsStatus", expected),
            ("AccountSid", DEMO_ACCOUNT_SID),
            ("From", DEMO_SMS_NUMBER),
            ("To", CUSTOMER),
            ("ApiVersion", "2010-04-01"),
        ] {
            assert_eq!(request.param(name), Some(value), "{name} in {request:?}");
        }
        assert_eq!(request.param("ErrorCode"), None);
        assert_eq!(request.param("MessagingServiceSid"), None);
    }
    hook.assert_quiet().await;
    let stored = twilio.settled(sid, MessageStatus::Delivered).await;
    assert!(stored.date_sent.is_some());
}

#[tokio::test]
async fn a_failed_outcome_calls_back_failed_with_its_error_code() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio
        .emulator
        .set_delivery_outcome(&e164(CUSTOMER), DeliveryOutcome::Failed(30007));
    let callback = hook.url("/status");
    let created = body(
        twilio
            .send(&[
                ("To", CUSTOMER),
                ("Body", "Hei"),
                ("StatusCallback", callback.as_str()),
            ])
            .await,
    )
    .await;
    let sid = created["sid"].as_str().expect("a sid");

    let request = hook.next().await;
    assert!(request.signed_with(DEMO_AUTH_TOKEN));
    assert_eq!(
        request.param("MessageStatus"),
        Some("failed"),
        "failed never passes through sent"
    );
    assert_eq!(request.param("ErrorCode"), Some("30007"));
    hook.assert_quiet().await;
    let fetched = body(twilio.get(&format!("/Messages/{sid}.json")).await).await;
    assert_eq!(fetched["status"], "failed");
    assert_eq!(fetched["error_code"], 30007);
    assert_eq!(fetched["error_message"], "Carrier violation");
}

#[tokio::test]
async fn an_undelivered_outcome_calls_back_sent_then_undelivered_with_its_error_code() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio
        .emulator
        .set_delivery_outcome(&e164(CUSTOMER), DeliveryOutcome::Undelivered(30003));
    let callback = hook.url("/status");
    twilio
        .send(&[
            ("To", CUSTOMER),
            ("Body", "Hei"),
            ("StatusCallback", callback.as_str()),
        ])
        .await;

    let sent = hook.next().await;
    assert_eq!(
        (sent.param("MessageStatus"), sent.param("ErrorCode")),
        (Some("sent"), None)
    );
    let undelivered = hook.next().await;
    assert!(undelivered.signed_with(DEMO_AUTH_TOKEN));
    assert_eq!(undelivered.param("MessageStatus"), Some("undelivered"));
    assert_eq!(undelivered.param("ErrorCode"), Some("30003"));
    let stored = &twilio.emulator.messages()[0];
    assert_eq!(
        (stored.status, stored.error_code),
        (MessageStatus::Undelivered, Some(30003))
    );
}

// ---- Inbound messages ----

#[tokio::test]
async fn an_inbound_sms_reaches_the_sms_url_signed_with_twilios_parameters() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    let sms_url = hook.url("/api/webhooks/twilio/sms?bot=7");
    twilio.set_sms_url(&sms_url, "POST").await;

    let status = twilio
        .emulator
        .send_inbound(
            &e164(CUSTOMER),
            &twilio.demo.sms_number,
            "Hei, onko auki?",
            &[],
        )
        .await
        .expect("the webhook is delivered");
    assert_eq!(status, StatusCode::OK);

    let request = hook.next().await;
    assert_eq!(
        (request.method.as_str(), request.url.as_str()),
        ("POST", sms_url.as_str())
    );
    assert!(request.signed_with(DEMO_AUTH_TOKEN), "{request:?}");
    let sid = request
        .param("MessageSid")
        .expect("a MessageSid")
        .to_owned();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    for (name, value) in [
        ("SmsSid", sid.as_str()),
        ("SmsMessageSid", sid.as_str()),
        ("AccountSid", DEMO_ACCOUNT_SID),
        ("From", CUSTOMER),
        ("To", DEMO_SMS_NUMBER),
        ("Body", "Hei, onko auki?"),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
        ("FromCountry", ""),
    ] {
        assert_eq!(request.param(name), Some(value), "{name} in {request:?}");
    }
    assert_eq!(request.param("MessagingServiceSid"), None);
    assert_eq!(request.param("MediaUrl0"), None);

    let recorded = twilio.emulator.messages();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].sid.as_str(), sid);
    assert_eq!(
        (recorded[0].direction, recorded[0].status),
        (Direction::Inbound, MessageStatus::Received)
    );
    let fetched = body(twilio.get(&format!("/Messages/{sid}.json")).await).await;
    assert_eq!(
        (fetched["direction"].as_str(), fetched["status"].as_str()),
        (Some("inbound"), Some("received"))
    );
}

#[tokio::test]
async fn an_inbound_mms_carries_each_media_url_and_content_type() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio.set_sms_url(&hook.url("/sms"), "POST").await;
    let service = "MG0123456789abcdef0123456789abcdef";
    twilio
        .emulator
        .set_messaging_service(&twilio.demo.sms_number, Some(service.to_owned()));
    let media = [
        (
            "https://media.example/1.jpg".to_owned(),
            "image/jpeg".to_owned(),
        ),
        (
            "https://media.example/2.png".to_owned(),
            "image/png".to_owned(),
        ),
    ];
    twilio
        .emulator
        .send_inbound(&e164(CUSTOMER), &twilio.demo.sms_number, "", &media)
        .await
        .expect("the webhook is delivered");

    let request = hook.next().await;
    assert!(request.signed_with(DEMO_AUTH_TOKEN), "{request:?}");
    assert!(
        request
            .param("MessageSid")
            .is_some_and(|sid| sid.starts_with("MM"))
    );
    assert_eq!(request.param("Body"), Some(""));
    assert_eq!(request.param("NumMedia"), Some("2"));
    assert_eq!(
        request.param("MediaUrl0"),
        Some("https://media.example/1.jpg")
    );
    assert_eq!(request.param("MediaContentType0"), Some("image/jpeg"));
    assert_eq!(
        request.param("MediaUrl1"),
        Some("https://media.example/2.png")
    );
    assert_eq!(request.param("MediaContentType1"), Some("image/png"));
    assert_eq!(request.param("MessagingServiceSid"), Some(service));
}

#[tokio::test]
async fn an_sms_url_set_to_get_gets_the_parameters_in_its_signed_query() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio.set_sms_url(&hook.url("/sms?bot=7"), "GET").await;
    twilio
        .emulator
        .send_inbound(&e164(CUSTOMER), &twilio.demo.sms_number, "Hei & moi", &[])
        .await
        .expect("the webhook is delivered");
    let request = hook.next().await;
    assert_eq!(request.method, "GET");
    assert_eq!(request.param("bot"), Some("7"));
    assert_eq!(request.param("Body"), Some("Hei & moi"));
    assert!(request.signed_with(DEMO_AUTH_TOKEN), "{request:?}");
}

#[tokio::test]
async fn an_inbound_message_needs_an_sms_capable_number_with_an_sms_url() {
    let twilio = Twilio::start().await;
    let customer = e164(CUSTOMER);
    let without_url = twilio
        .emulator
        .send_inbound(&customer, &twilio.demo.sms_number, "Hei", &[])
        .await;
    assert!(
        matches!(without_url, Err(EmulatorError::NoSmsUrl(_))),
        "{without_url:?}"
    );
    let voice_only = twilio
        .emulator
        .send_inbound(&customer, &twilio.demo.voice_only_number, "Hei", &[])
        .await;
    assert!(
        matches!(voice_only, Err(EmulatorError::NotSmsCapable(_))),
        "{voice_only:?}"
    );
    let unknown = twilio
        .emulator
        .send_inbound(&customer, &e164("+14155550100"), "Hei", &[])
        .await;
    assert!(
        matches!(unknown, Err(EmulatorError::UnknownNumber(_))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn texting_stop_opts_the_customer_out_and_start_back_in() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio.set_sms_url(&hook.url("/sms"), "POST").await;
    let customer = e164(CUSTOMER);
    let number = &twilio.demo.sms_number;
    twilio
        .emulator
        .send_inbound(&customer, number, "Stop", &[])
        .await
        .expect("delivered");
    hook.next().await;
    assert_twilio_error(
        twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await,
        StatusCode::BAD_REQUEST,
        21610,
    )
    .await;
    twilio
        .emulator
        .send_inbound(&customer, number, "START", &[])
        .await
        .expect("delivered");
    hook.next().await;
    assert_eq!(
        twilio
            .send(&[("To", CUSTOMER), ("Body", "Hei")])
            .await
            .status(),
        StatusCode::CREATED
    );
}

// ---- Faults ----

#[tokio::test]
async fn a_server_error_fault_answers_that_error_and_creates_nothing() {
    let twilio = Twilio::start().await;
    twilio.emulator.push_create_fault(CreateFault::ServerError {
        status: 500,
        code: 20500,
    });
    let failed = twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await;
    assert_twilio_error(failed, StatusCode::INTERNAL_SERVER_ERROR, 20500).await;
    assert_eq!(twilio.emulator.messages(), Vec::new());
    let retried = twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await;
    assert_eq!(
        retried.status(),
        StatusCode::CREATED,
        "a fault is used once"
    );
}

#[tokio::test]
async fn faults_are_used_once_in_the_order_pushed() {
    let twilio = Twilio::start().await;
    twilio.emulator.push_create_fault(CreateFault::ServerError {
        status: 503,
        code: 20503,
    });
    twilio.emulator.push_create_fault(CreateFault::ServerError {
        status: 429,
        code: 20429,
    });
    let form = [("To", CUSTOMER), ("Body", "Hei")];
    assert_twilio_error(
        twilio.send(&form).await,
        StatusCode::SERVICE_UNAVAILABLE,
        20503,
    )
    .await;
    assert_twilio_error(
        twilio.send(&form).await,
        StatusCode::TOO_MANY_REQUESTS,
        20429,
    )
    .await;
    assert_eq!(twilio.send(&form).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn accept_then_hang_stores_the_message_and_runs_its_lifecycle_while_the_client_times_out() {
    let twilio = Twilio::start().await;
    let mut hook = Hook::start().await;
    twilio
        .emulator
        .push_create_fault(CreateFault::AcceptThenHang(Duration::from_secs(3)));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("a client");
    let callback = hook.url("/status");
    let attempt = impatient
        .post(twilio.url("/Messages.json"))
        .basic_auth(DEMO_ACCOUNT_SID, Some(DEMO_AUTH_TOKEN))
        .form(&[
            ("From", DEMO_SMS_NUMBER),
            ("To", CUSTOMER),
            ("Body", "Hei"),
            ("StatusCallback", callback.as_str()),
        ])
        .send()
        .await;
    assert!(
        attempt.as_ref().is_err_and(reqwest::Error::is_timeout),
        "{attempt:?}"
    );

    let stored = twilio.emulator.messages();
    assert_eq!(stored.len(), 1, "Twilio accepted it");
    assert_eq!(hook.next().await.param("MessageStatus"), Some("sent"));
    assert_eq!(hook.next().await.param("MessageStatus"), Some("delivered"));
    // What the app does to learn the outcome: look the message up by recipient and date.
    let today = chrono::Utc::now().date_naive();
    let found = body(
        twilio
            .get(&format!(
                "/Messages.json?To=%2B358501112233&DateSent%3E={today}"
            ))
            .await,
    )
    .await;
    assert_eq!(found["messages"][0]["sid"], stored[0].sid.as_str());
}

#[tokio::test]
async fn a_queued_message_has_no_date_sent_so_only_the_unfiltered_list_finds_it() {
    let twilio = Twilio::start().await;
    // Its lifecycle waits a minute before `sent`: it stays queued through this test.
    twilio.emulator.set_callback_delay(Duration::from_secs(60));
    let created = body(twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await).await;
    let sid = created["sid"].as_str().expect("a sid").to_owned();
    let today = chrono::Utc::now().date_naive();
    let yesterday = today.pred_opt().expect("a day before");
    let listed = |query: String| listed_sids(&twilio, query);
    assert_eq!(
        listed(format!("To=%2B358501112233&DateSent%3E={yesterday}")).await,
        [""; 0],
        "DateSent filters only match messages that were sent"
    );
    assert_eq!(listed(format!("DateSent={today}")).await, [""; 0]);
    assert_eq!(
        listed("To=%2B358501112233&From=%2B358401234567".to_owned()).await,
        [sid]
    );
}

#[tokio::test]
async fn a_rate_limit_fault_answers_429_with_retry_after_and_creates_nothing() {
    let twilio = Twilio::start().await;
    twilio.emulator.push_create_fault(CreateFault::RateLimited {
        retry_after_secs: 7,
    });
    let limited = twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await;
    assert_eq!(
        limited
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert_twilio_error(limited, StatusCode::TOO_MANY_REQUESTS, 20429).await;
    assert_eq!(twilio.emulator.messages(), Vec::new());
}

#[tokio::test]
async fn accept_then_drop_stores_the_message_and_closes_the_connection_unanswered() {
    let twilio = Twilio::start().await;
    twilio.emulator.set_callback_delay(Duration::from_secs(60));
    twilio
        .emulator
        .push_create_fault(CreateFault::AcceptThenDrop);
    let attempt = twilio
        .http
        .post(twilio.url("/Messages.json"))
        .basic_auth(DEMO_ACCOUNT_SID, Some(DEMO_AUTH_TOKEN))
        .form(&[("From", DEMO_SMS_NUMBER), ("To", CUSTOMER), ("Body", "Hei")])
        .send()
        .await;
    let error = attempt.expect_err("no answer at all");
    assert!(!error.is_timeout() && !error.is_connect(), "{error:?}");
    let stored = twilio.emulator.messages();
    assert_eq!(stored.len(), 1, "Twilio accepted it");
    assert_eq!(stored[0].status, MessageStatus::Queued);
    // The next request, on a new connection, is answered as usual.
    let next = twilio.send(&[("To", CUSTOMER), ("Body", "Again")]).await;
    assert_eq!(next.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn accept_with_broken_body_stores_the_message_and_answers_201_with_unreadable_json() {
    let twilio = Twilio::start().await;
    twilio
        .emulator
        .push_create_fault(CreateFault::AcceptWithBrokenBody);
    let answer = twilio.send(&[("To", CUSTOMER), ("Body", "Hei")]).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let text = answer.text().await.expect("a body");
    assert!(text.starts_with('{'), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(twilio.emulator.messages().len(), 1, "Twilio accepted it");
}

// ---- Demo ----

#[tokio::test]
async fn the_demo_account_uses_the_documented_constants_and_seeding_twice_changes_nothing() {
    let twilio = Twilio::start().await;
    let demo = &twilio.demo;
    assert_eq!(demo.account_sid.as_str(), DEMO_ACCOUNT_SID);
    assert_eq!(demo.auth_token.expose(), DEMO_AUTH_TOKEN);
    assert_eq!(demo.friendly_name, "Viesti demo");
    assert_eq!(demo.sms_number.as_str(), "+358401234567");
    assert_eq!(demo.voice_only_number.as_str(), DEMO_VOICE_ONLY_NUMBER);

    let again = twilio.emulator.seed_demo();
    assert_eq!(again.sms_number_sid, demo.sms_number_sid);
    let numbers = body(twilio.get("/IncomingPhoneNumbers.json").await).await;
    assert_eq!(
        numbers["incoming_phone_numbers"].as_array().map(Vec::len),
        Some(2)
    );
}

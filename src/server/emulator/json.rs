//! Resources as Twilio's JSON: every property of the OpenAPI schema, none besides (the API test checks
//! this against `tests/fixtures/twilio_openapi_subset.json`). Unset values follow Twilio's examples:
//! `""` for unset webhook URLs on a number, `null` where Twilio has no value.
use super::records::{Account, Number};
use super::{AccountStatus, EmulatedMessage};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub(super) const API_VERSION: &str = "2010-04-01";

/// RFC 2822 as Twilio writes it: `Thu, 30 Jul 2015 20:00:00 +0000`.
pub(super) fn rfc2822(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

pub(super) fn account_uri(sid: &str) -> String {
    format!("/{API_VERSION}/Accounts/{sid}")
}

/// `api.v2010.account`.
pub(super) fn account(account: &Account) -> Value {
    let sid = account.sid.as_str();
    let base = account_uri(sid);
    let subresources: serde_json::Map<String, Value> = [
        ("addresses", "Addresses"),
        ("available_phone_numbers", "AvailablePhoneNumbers"),
        ("balance", "Balance"),
        ("calls", "Calls"),
        ("incoming_phone_numbers", "IncomingPhoneNumbers"),
        ("messages", "Messages"),
        ("notifications", "Notifications"),
        ("recordings", "Recordings"),
    ]
    .into_iter()
    .map(|(key, path)| (key.to_owned(), Value::String(format!("{base}/{path}.json"))))
    .collect();
    json!({
        // Twilio returns the token to whoever authenticated with it; so does the double.
        "auth_token": account.token.expose(),
        "date_created": rfc2822(account.created),
        "date_updated": rfc2822(account.created),
        "friendly_name": account.friendly_name,
        "owner_account_sid": sid,
        "sid": sid,
        "status": match account.status {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        },
        "subresource_uris": subresources,
        "type": if account.trial { "Trial" } else { "Full" },
        "uri": format!("{base}.json"),
    })
}

/// `api.v2010.account.incoming_phone_number`.
pub(super) fn number(number: &Number) -> Value {
    let account_sid = number.account_sid.as_str();
    json!({
        "account_sid": account_sid,
        "address_sid": null,
        "address_requirements": "none",
        "api_version": API_VERSION,
        "beta": false,
        "capabilities": {
            "voice": true,
            "sms": number.sms_capable,
            "mms": number.sms_capable,
            "fax": false,
        },
        "date_created": rfc2822(number.created),
        "date_updated": rfc2822(number.updated),
        "friendly_name": number.phone_number.as_str(),
        "identity_sid": null,
        "phone_number": number.phone_number.as_str(),
        "origin": "twilio",
        "sid": number.sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": number.sms_method,
        "sms_url": number.sms_url,
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": null,
        "uri": format!("{}/IncomingPhoneNumbers/{}.json", account_uri(account_sid), number.sid),
        "voice_receive_mode": "voice",
        "voice_application_sid": "",
        "voice_caller_id_lookup": false,
        "voice_fallback_method": "POST",
        "voice_fallback_url": null,
        "voice_method": "POST",
        "voice_url": null,
        "emergency_status": "Inactive",
        "emergency_address_sid": null,
        "emergency_address_status": "unregistered",
        "bundle_sid": null,
        "status": "in-use",
        "type": if number.sms_capable { "mobile" } else { "local" },
    })
}

/// `api.v2010.account.message`.
pub(super) fn message(message: &EmulatedMessage) -> Value {
    let uri = format!(
        "{}/Messages/{}",
        account_uri(message.account_sid.as_str()),
        message.sid
    );
    let num_segments = if message.media_urls.is_empty() {
        message.num_segments
    } else {
        1
    };
    json!({
        "body": message.body,
        "num_segments": num_segments.to_string(),
        "direction": message.direction.as_str(),
        "from": message.from.as_str(),
        "to": message.to.as_str(),
        "date_updated": rfc2822(message.date_updated),
        "price": null,
        "error_message": message.error_code.and_then(error_message),
        "uri": format!("{uri}.json"),
        "account_sid": message.account_sid.as_str(),
        "num_media": message.media_urls.len().to_string(),
        "status": message.status.as_str(),
        "messaging_service_sid": message.messaging_service_sid,
        "sid": message.sid.as_str(),
        "date_sent": message.date_sent.map(rfc2822),
        "date_created": rfc2822(message.date_created),
        "error_code": message.error_code,
        "price_unit": "USD",
        "api_version": API_VERSION,
        "subresource_uris": { "media": format!("{uri}/Media.json") },
    })
}

/// Twilio's short text for the delivery errors tests are likely to configure.
fn error_message(code: u16) -> Option<&'static str> {
    Some(match code {
        30001 => "Queue overflow",
        30002 => "Account suspended",
        30003 => "Unreachable destination handset",
        30004 => "Message blocked",
        30005 => "Unknown destination handset",
        30006 => "Landline or unreachable carrier",
        30007 => "Carrier violation",
        30008 => "Unknown error",
        _ => return None,
    })
}

/// One page of a list (`ListIncomingPhoneNumberResponse`, `ListMessageResponse`).
pub(super) struct Page {
    /// The list's path, e.g. `/2010-04-01/Accounts/AC…/Messages.json`.
    pub path: String,
    /// The filters as the client sent them, without paging parameters.
    pub filters: Vec<(String, String)>,
    pub page: usize,
    pub page_size: usize,
    /// Whether items follow this page.
    pub more: bool,
}

impl Page {
    fn uri(&self, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.filters);
        query.append_pair("PageSize", &self.page_size.to_string());
        query.append_pair("Page", &page.to_string());
        format!("{}?{}", self.path, query.finish())
    }

    /// The envelope with `items` under `key`.
    pub(super) fn envelope(&self, key: &str, items: Vec<Value>) -> Value {
        let start = self.page * self.page_size;
        let mut envelope = json!({
            "end": start + items.len().saturating_sub(1),
            "first_page_uri": self.uri(0),
            "next_page_uri": self.more.then(|| self.uri(self.page + 1)),
            "page": self.page,
            "page_size": self.page_size,
            "previous_page_uri": (self.page > 0).then(|| self.uri(self.page - 1)),
            "start": start,
            "uri": self.uri(self.page),
        });
        envelope[key] = Value::Array(items);
        envelope
    }
}

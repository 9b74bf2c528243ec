//! The REST side: routes, HTTP Basic auth, Twilio's error JSON and the CreateMessage rules.
use super::dates::{Bound, DateFilter};
use super::json::{self, Page};
use super::records::{self, Account};
use super::{AccountStatus, CreateFault, DeliveryOutcome, Direction, EmulatedMessage, Emulator};
use super::{Cut, MessageStatus, State, webhooks};
use crate::domain::{AccountSid, E164};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};

type Extract = axum::extract::State<Emulator>;
type Params = Vec<(String, String)>;

pub(super) fn router(emulator: Emulator) -> axum::Router {
    // A path segment such as `AC….json` is captured whole: the router matches whole segments.
    axum::Router::new()
        .route("/2010-04-01/Accounts/{account}", get(fetch_account))
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            get(list_numbers),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{number}",
            get(fetch_number).post(update_number),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            get(list_messages).post(create_message),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{message}",
            get(fetch_message),
        )
        .fallback(unknown)
        .with_state(emulator)
}

/// Twilio's error body: `{"code", "message", "more_info", "status"}` (API.md §2).
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    code: u16,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    }

    fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Service Unavailable",
        )
    }

    fn not_found(uri: &Uri) -> Self {
        let path = uri.path();
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }

    fn bad_request(code: u16, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        }));
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = [(header::WWW_AUTHENTICATE, r#"Basic realm="Twilio API""#)];
            (self.status, challenge, body).into_response()
        } else {
            (self.status, body).into_response()
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The account whose SID and Auth Token came in the Basic credentials.
fn caller<'s>(state: &'s State, headers: &HeaderMap) -> Result<&'s Account, ApiError> {
    let (user, password) = basic_credentials(headers).ok_or_else(ApiError::unauthorized)?;
    if state.outage_accounts.contains(&user) {
        return Err(ApiError::unavailable());
    }
    state
        .accounts
        .iter()
        .find(|a| a.sid.as_str() == user && a.token.expose() == password)
        .ok_or_else(ApiError::unauthorized)
}

/// The caller, if it may act on the account in the path. Another account's path is 20003 like bad
/// credentials; so is any call but FetchAccount from an account that is not active (API.md §2).
fn authorize<'s>(
    state: &'s State,
    headers: &HeaderMap,
    path_account: &str,
    allow_inactive: bool,
) -> Result<&'s Account, ApiError> {
    let account = caller(state, headers)?;
    let usable = allow_inactive || account.status == AccountStatus::Active;
    if account.sid.as_str() != path_account || !usable {
        return Err(ApiError::unauthorized());
    }
    Ok(account)
}

fn query_pairs(raw: Option<String>) -> Params {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn form_pairs(body: &Bytes) -> Params {
    form_urlencoded::parse(body).into_owned().collect()
}

fn param<'p>(params: &'p Params, name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Splits a list query into its filters and the requested page (PageSize 1–1000, default 50).
/// `PageToken` is accepted and ignored: `Page` alone selects the page here.
fn page_request(path: &str, query: Params) -> Page {
    let number = |name: &str| param(&query, name).and_then(|v| v.parse::<usize>().ok());
    let page_size = number("PageSize").unwrap_or(50).clamp(1, 1000);
    let page = number("Page").unwrap_or(0);
    let filters = query
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "PageSize" | "Page" | "PageToken"))
        .cloned()
        .collect();
    Page {
        path: path.to_owned(),
        filters,
        page,
        page_size,
        more: false,
    }
}

/// The items of `page` out of `all`, noting whether more follow.
fn paginate(page: &mut Page, all: Vec<Value>) -> Vec<Value> {
    let start = page.page.saturating_mul(page.page_size);
    page.more = all.len() > start.saturating_add(page.page_size);
    all.into_iter().skip(start).take(page.page_size).collect()
}

/// `PhoneNumber` is a partial match where `*` stands for any digit (API.md §4).
fn phone_matches(number: &str, pattern: &str) -> bool {
    let number: Vec<char> = number.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    pattern.is_empty()
        || number.windows(pattern.len()).any(|window| {
            window
                .iter()
                .zip(&pattern)
                .all(|(n, p)| n == p || (*p == '*' && n.is_ascii_digit()))
        })
}

/// Whether Twilio would take `url` as a StatusCallback: absolute http(s), a host without
/// underscores, at most 4,000 characters (API.md §5).
fn valid_callback_url(url: &str) -> bool {
    url.len() <= 4000
        && url::Url::parse(url).is_ok_and(|parsed| {
            matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|host| !host.contains('_'))
        })
}

async fn unknown(
    axum::extract::State(emulator): Extract,
    headers: HeaderMap,
    uri: Uri,
) -> ApiError {
    // Credentials are checked first, as everywhere: a stranger learns nothing from a 404.
    match caller(&emulator.lock(), &headers) {
        Ok(_) => ApiError::not_found(&uri),
        Err(error) => error,
    }
}

async fn fetch_account(
    axum::extract::State(emulator): Extract,
    Path(file): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let state = emulator.lock();
    let sid = file.strip_suffix(".json");
    let account = authorize(&state, &headers, sid.unwrap_or(&file), true)?;
    if sid.is_none() {
        return Err(ApiError::not_found(&uri));
    }
    Ok(Json(json::account(account)))
}

async fn list_numbers(
    axum::extract::State(emulator): Extract,
    Path(account): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let state = emulator.lock();
    let account = authorize(&state, &headers, &account, false)?;
    let mut page = page_request(uri.path(), query_pairs(query));
    let pattern = param(&page.filters, "PhoneNumber")
        .unwrap_or_default()
        .to_owned();
    let all = state
        .numbers
        .iter()
        .filter(|n| {
            n.account_sid == account.sid && phone_matches(n.phone_number.as_str(), &pattern)
        })
        .map(json::number)
        .collect();
    let items = paginate(&mut page, all);
    Ok(Json(page.envelope("incoming_phone_numbers", items)))
}

async fn fetch_number(
    axum::extract::State(emulator): Extract,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let state = emulator.lock();
    let account = authorize(&state, &headers, &account, false)?;
    state
        .numbers
        .iter()
        .find(|n| {
            n.account_sid == account.sid && file.strip_suffix(".json") == Some(n.sid.as_str())
        })
        .map(|n| Json(json::number(n)))
        .ok_or_else(|| ApiError::not_found(&uri))
}

async fn update_number(
    axum::extract::State(emulator): Extract,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let params = form_pairs(&body);
    let mut state = emulator.lock();
    let account_sid = authorize(&state, &headers, &account, false)?.sid.clone();
    let sms_url = param(&params, "SmsUrl");
    // Twilio answers 21502 for an SmsUrl it cannot call; an empty value clears it.
    if let Some(url) = sms_url
        && !url.is_empty()
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return Err(ApiError::bad_request(
            21502,
            format!("Invalid SmsUrl: {url}"),
        ));
    }
    let sms_method = param(&params, "SmsMethod").map(str::to_ascii_uppercase);
    if let Some(method) = &sms_method
        && method != "GET"
        && method != "POST"
    {
        return Err(ApiError::bad_request(
            20001,
            format!("SmsMethod must be GET or POST, not {method}"),
        ));
    }
    let number = state
        .numbers
        .iter_mut()
        .find(|n| {
            n.account_sid == account_sid && file.strip_suffix(".json") == Some(n.sid.as_str())
        })
        .ok_or_else(|| ApiError::not_found(&uri))?;
    if let Some(url) = sms_url {
        url.clone_into(&mut number.sms_url);
    }
    if let Some(method) = sms_method {
        number.sms_method = method;
    }
    number.updated = records::now();
    Ok(Json(json::number(number)))
}

async fn create_message(
    axum::extract::State(emulator): Extract,
    Path(account): Path<String>,
    cut: Option<Extension<ConnectInfo<Cut>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form_pairs(&body);
    let (created, fault) = {
        let mut state = emulator.lock();
        let account_sid = match authorize(&state, &headers, &account, false) {
            Ok(account) => account.sid.clone(),
            Err(error) => return error.into_response(),
        };
        let fault = state.faults.pop_front();
        match fault {
            Some(CreateFault::ServerError { status, code }) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reason = status.canonical_reason().unwrap_or("Error");
                return ApiError::new(status, code, reason).into_response();
            }
            Some(CreateFault::RateLimited { retry_after_secs }) => {
                let error =
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
                return ([(header::RETRY_AFTER, retry_after_secs.to_string())], error)
                    .into_response();
            }
            _ => {}
        }
        (create(&mut state, &account_sid, &params), fault)
    };
    // The answer is what Twilio said at acceptance, even when it arrives late.
    let (message, outcome) = match created {
        Ok(created) => created,
        Err(error) => return error.into_response(),
    };
    let body = json::message(&message);
    webhooks::spawn_lifecycle(emulator.clone(), message.sid, outcome);
    match fault {
        Some(CreateFault::AcceptThenHang(delay)) => tokio::time::sleep(delay).await,
        Some(CreateFault::AcceptThenDrop) => {
            if let Some(Extension(ConnectInfo(cut))) = cut {
                // Whatever is written next fails, and the connection closes unanswered.
                cut.cut();
                return StatusCode::CREATED.into_response();
            }
            // Mounted in another server, the connection is not the emulator's to cut: a body
            // that is not JSON is the nearest thing.
            return (StatusCode::CREATED, "").into_response();
        }
        Some(CreateFault::AcceptWithBrokenBody) => {
            let text = body.to_string();
            let half = &text[..text.len() / 2];
            return (
                StatusCode::CREATED,
                [(header::CONTENT_TYPE, "application/json")],
                half.to_owned(),
            )
                .into_response();
        }
        _ => {}
    }
    (StatusCode::CREATED, Json(body)).into_response()
}

/// CreateMessage's checks, in Twilio's error codes (API.md §5, §12), then the stored message and what
/// will become of it.
fn create(
    state: &mut State,
    account_sid: &AccountSid,
    params: &Params,
) -> Result<(EmulatedMessage, DeliveryOutcome), ApiError> {
    let present = |name: &str| param(params, name).filter(|v| !v.trim().is_empty());
    let to_param = present("To")
        .ok_or_else(|| ApiError::bad_request(21604, "A 'To' phone number is required."))?;
    let to = E164::parse(to_param).map_err(|_| {
        ApiError::bad_request(21211, format!("Invalid 'To' Phone Number: {to_param}"))
    })?;
    let from_param = present("From")
        .ok_or_else(|| ApiError::bad_request(21603, "A 'From' phone number is required."))?;
    let sender = E164::parse(from_param)
        .ok()
        .and_then(|from| {
            state
                .numbers
                .iter()
                .find(|n| n.phone_number == from && &n.account_sid == account_sid && n.sms_capable)
        })
        .ok_or_else(|| {
            ApiError::bad_request(
                21606,
                format!(
                    "The From phone number {from_param} is not a valid, SMS-capable inbound phone number \
                     or short code for your account."
                ),
            )
        })?;
    let media_urls: Vec<String> = params
        .iter()
        .filter(|(key, _)| key == "MediaUrl")
        .map(|(_, value)| value.clone())
        .collect();
    let body = param(params, "Body").unwrap_or_default();
    if body.is_empty() && media_urls.is_empty() {
        return Err(ApiError::bad_request(21602, "Message body is required."));
    }
    if body.chars().count() > 1600 {
        return Err(ApiError::bad_request(
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    let status_callback = present("StatusCallback");
    if let Some(url) = status_callback
        && !valid_callback_url(url)
    {
        return Err(ApiError::bad_request(
            21609,
            format!("The StatusCallback URL {url} is not a valid URL."),
        ));
    }
    if state.opted_out.contains(&to) {
        return Err(ApiError::bad_request(
            21610,
            "Attempt to send to unsubscribed recipient",
        ));
    }
    let now = records::now();
    let message = EmulatedMessage {
        sid: records::new_message_sid(!media_urls.is_empty()),
        account_sid: account_sid.clone(),
        from: sender.phone_number.clone(),
        to,
        body: body.to_owned(),
        media_urls,
        status: MessageStatus::Queued,
        error_code: None,
        direction: Direction::OutboundApi,
        messaging_service_sid: sender.messaging_service_sid.clone(),
        status_callback: status_callback.map(str::to_owned),
        num_segments: records::segments(body),
        date_created: now,
        date_updated: now,
        date_sent: None,
    };
    let outcome = state
        .outcomes
        .get(&message.to)
        .copied()
        .unwrap_or(DeliveryOutcome::Delivered);
    state.messages.push(message.clone());
    Ok((message, outcome))
}

async fn fetch_message(
    axum::extract::State(emulator): Extract,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, ApiError> {
    let state = emulator.lock();
    let account = authorize(&state, &headers, &account, false)?;
    state
        .messages
        .iter()
        .find(|m| {
            m.account_sid == account.sid && file.strip_suffix(".json") == Some(m.sid.as_str())
        })
        .map(|m| Json(json::message(m)))
        .ok_or_else(|| ApiError::not_found(&uri))
}

async fn list_messages(
    axum::extract::State(emulator): Extract,
    Path(account): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let state = emulator.lock();
    let account = authorize(&state, &headers, &account, false)?;
    let mut page = page_request(uri.path(), query_pairs(query));
    let mut dates = Vec::new();
    for (name, value) in &page.filters {
        if let Some(bound) = Bound::from_param(name) {
            let filter = DateFilter::parse(bound, value)
                .ok_or_else(|| ApiError::bad_request(20001, format!("Invalid {name}: {value}")))?;
            dates.push(filter);
        }
    }
    let to = param(&page.filters, "To");
    let from = param(&page.filters, "From");
    let all = state
        .messages
        .iter()
        // Newest first, as Twilio lists them.
        .rev()
        .filter(|m| m.account_sid == account.sid)
        .filter(|m| to.is_none_or(|to| m.to.as_str() == to))
        .filter(|m| from.is_none_or(|from| m.from.as_str() == from))
        // As at Twilio, a message not sent yet (queued) has no date_sent, so no DateSent filter
        // finds it.
        .filter(|m| {
            dates
                .iter()
                .all(|d| m.date_sent.is_some_and(|sent| d.matches(sent)))
        })
        .map(json::message)
        .collect();
    let items = paginate(&mut page, all);
    Ok(Json(page.envelope("messages", items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_number_filter_is_a_partial_match_with_digit_wildcards() {
        assert!(phone_matches("+358401234567", "+358401234567"));
        assert!(phone_matches("+358401234567", "1234"));
        assert!(phone_matches("+358401234567", "+35840*******"));
        assert!(phone_matches("+358401234567", ""));
        assert!(
            !phone_matches("+358401234567", " 358401234567"),
            "a raw + decodes to a space"
        );
        assert!(!phone_matches("+358401234567", "+3584012345678"));
    }

    #[test]
    fn status_callback_urls_follow_twilios_rules() {
        assert!(valid_callback_url("https://example.com/status?id=1"));
        assert!(valid_callback_url("http://127.0.0.1:3000/status"));
        assert!(!valid_callback_url("https://bad_host.example.com/status"));
        assert!(!valid_callback_url("/relative"));
        assert!(!valid_callback_url("ftp://example.com/"));
        assert!(!valid_callback_url(&format!(
            "https://example.com/{}",
            "a".repeat(4000)
        )));
    }
}

//! A loopback stand-in for Twilio: the REST API paths, auth and JSON shapes Viesti uses (2010-04-01),
//! plus the webhooks Twilio sends (status callbacks, inbound SMS/MMS), signed as Twilio signs them.
//! Tests and the local demo point `TWILIO_API_BASE` at [`Emulator::start`]'s address instead of
//! `https://api.twilio.com`, so nothing leaves the machine and nothing costs money.
//!
//! Shapes follow `shared/twilio/twilio_api_v2010.json` and `shared/twilio/API.md`; the API test
//! `tests/api/twilio_emulator.rs` checks every response against the OpenAPI schemas. What it does not
//! model: Messaging Services as senders (`MessagingServiceSid` without `From`), scheduling, pricing,
//! paging tokens, subaccounts, and opt-outs per sender (an opted-out recipient is opted out of every number).
use crate::domain::{AccountSid, AuthToken, E164, MessageSid};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

mod api;
mod dates;
mod json;
mod network;
mod records;
mod webhooks;

pub use network::Cut;
use records::{Account, Number};

/// The demo account [`Emulator::seed_demo`] registers: the one the settings page offers in local mode.
pub use crate::server::sms::demo::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SMS_NUMBER};
/// The demo account's friendly name.
pub const DEMO_FRIENDLY_NAME: &str = "Viesti demo";
/// A second demo number that cannot send or receive SMS (a Helsinki landline), for "not SMS-capable" paths.
pub const DEMO_VOICE_ONLY_NUMBER: &str = "+358912345678";

/// A second demo account that is a Twilio *trial* account (Account `type` Trial) with a US number,
/// so the settings page's trial and A2P 10DLC notices can be seen locally.
pub const DEMO_TRIAL_ACCOUNT_SID: &str = "AC7e577e577e577e577e577e577e577e57";
/// The trial demo account's Auth Token.
pub const DEMO_TRIAL_AUTH_TOKEN: &str = "7e57c0de7e57c0de7e57c0de7e57c0de";
/// The trial demo account's SMS-capable US number (libphonenumber's example US number).
pub const DEMO_TRIAL_SMS_NUMBER: &str = "+12015550123";

/// A customer's phone that is always switched off: texts to it end `undelivered` with Twilio's 30003,
/// so the inbox's failure reasons can be seen locally (text the demo number from it in the simulator).
pub use crate::wire::simulator::UNREACHABLE_CUSTOMER as DEMO_UNREACHABLE_CUSTOMER;

/// A demo account that is always down: every request with it answers 503 (Twilio error 20500), so the
/// "Couldn't reach Twilio right now" path can be seen and tested locally. Any 32-character token.
pub const DEMO_OUTAGE_ACCOUNT_SID: &str = "ACfa11fa11fa11fa11fa11fa11fa11fa11";

/// The Twilio double. Cheap to clone: clones share one state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Makes the webhook requests (status callbacks and inbound messages).
    http: reqwest::Client,
}

#[derive(Default)]
struct State {
    accounts: Vec<Account>,
    numbers: Vec<Number>,
    messages: Vec<EmulatedMessage>,
    opted_out: HashSet<E164>,
    outcomes: HashMap<E164, DeliveryOutcome>,
    faults: VecDeque<CreateFault>,
    callback_delay: Duration,
    /// Account SIDs for which Twilio is "down": every request answers 503.
    outage_accounts: HashSet<String>,
}

/// An account's `status` as Twilio reports it. Only `Active` accounts may use the API beyond FetchAccount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Suspended,
    Closed,
}

/// What happens to messages sent to a number after Twilio accepted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// `sent`, then `delivered` (the default).
    Delivered,
    /// `failed` with this error code (e.g. 30007): the message never left Twilio.
    Failed(u16),
    /// `sent`, then `undelivered` with this error code (e.g. 30003).
    Undelivered(u16),
}

/// A fault for the next CreateMessage call; each is used once, in the order pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateFault {
    /// Answer this HTTP status with this Twilio error code, and create nothing.
    ServerError { status: u16, code: u16 },
    /// Answer 429 (Twilio error 20429) with `Retry-After: <seconds>`, and create nothing.
    RateLimited { retry_after_secs: u64 },
    /// Store the message and start its lifecycle, then wait this long before answering: slow, and
    /// past the client's timeout the client gives up although Twilio accepted the message.
    AcceptThenHang(Duration),
    /// Store the message and start its lifecycle, then close the connection without answering, as
    /// when a network path fails after the request got through.
    AcceptThenDrop,
    /// Store the message and start its lifecycle, then answer 201 with a body cut off mid-JSON.
    AcceptWithBrokenBody,
}

/// A message's `status` (the subset of Twilio's `message_enum_status` the emulator reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
    Undelivered,
    Received,
}

impl MessageStatus {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Undelivered => "undelivered",
            Self::Received => "received",
        }
    }
}

/// A message's `direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by a customer to one of the account's numbers.
    Inbound,
    /// Created through CreateMessage.
    OutboundApi,
}

impl Direction {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::OutboundApi => "outbound-api",
        }
    }
}

/// A message as the emulator stored it, for tests to inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatedMessage {
    pub sid: MessageSid,
    pub account_sid: AccountSid,
    pub from: E164,
    pub to: E164,
    pub body: String,
    pub media_urls: Vec<String>,
    pub status: MessageStatus,
    pub error_code: Option<u16>,
    pub direction: Direction,
    pub messaging_service_sid: Option<String>,
    pub status_callback: Option<String>,
    pub num_segments: usize,
    pub date_created: DateTime<Utc>,
    pub date_updated: DateTime<Utc>,
    pub date_sent: Option<DateTime<Utc>>,
}

/// What [`Emulator::seed_demo`] registered.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub account_sid: AccountSid,
    pub auth_token: AuthToken,
    pub friendly_name: String,
    pub sms_number: E164,
    /// The `PN…` SID of [`DemoAccount::sms_number`].
    pub sms_number_sid: String,
    pub voice_only_number: E164,
    /// The `PN…` SID of [`DemoAccount::voice_only_number`].
    pub voice_only_number_sid: String,
}

/// Why [`Emulator::send_inbound`] could not deliver a message to the app.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("{0} is not a number in the emulator")]
    UnknownNumber(E164),
    #[error("{0} cannot receive SMS")]
    NotSmsCapable(E164),
    #[error("{0} belongs to no account in the emulator")]
    UnknownAccount(E164),
    #[error("{0} has no SmsUrl")]
    NoSmsUrl(E164),
    #[error("the SmsUrl of {0} is not a valid URL")]
    BadSmsUrl(E164),
    #[error("the webhook request failed")]
    Request(#[from] reqwest::Error),
}

impl Default for Emulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Emulator {
    /// An empty emulator: no accounts, no numbers, 50 ms between a message's status changes.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            // Twilio gives a webhook 15 s (API.md §10).
            .timeout(Duration::from_secs(15))
            // Twilio does not follow a webhook's redirect; showing it keeps a misrouted URL visible.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("TwilioProxy/1.1")
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let state = State {
            callback_delay: Duration::from_millis(50),
            ..State::default()
        };
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                http,
            }),
        }
    }

    /// The REST API under `/2010-04-01/`, for mounting or serving.
    pub fn router(&self) -> axum::Router {
        api::router(self.clone())
    }

    /// Serves [`Emulator::router`] on `addr` (port 0 picks a free port) until the runtime stops, and
    /// returns the bound address; `http://{address}` is the `TWILIO_API_BASE`.
    pub async fn start(&self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let service = self.router().into_make_service_with_connect_info::<Cut>();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(network::CuttableListener(listener), service).await {
                tracing::error!(%error, "the Twilio emulator stopped");
            }
        });
        Ok(bound)
    }

    /// Registers an account, or replaces the one with this SID.
    pub fn add_account(
        &self,
        sid: AccountSid,
        token: AuthToken,
        friendly_name: &str,
        status: AccountStatus,
    ) {
        let account = Account {
            sid,
            token,
            friendly_name: friendly_name.to_owned(),
            status,
            trial: false,
            created: records::now(),
        };
        let mut state = self.lock();
        state.accounts.retain(|a| a.sid != account.sid);
        state.accounts.push(account);
    }

    /// Makes an account a trial account (Account `type` Trial) or a full one again.
    pub fn set_trial(&self, account_sid: &AccountSid, trial: bool) {
        let mut state = self.lock();
        for account in state.accounts.iter_mut().filter(|a| &a.sid == account_sid) {
            account.trial = trial;
        }
    }

    /// Gives `account_sid` the number `number` and returns its `PN…` SID. Adding a number the account
    /// already has only updates its SMS capability, so seeding twice is harmless.
    pub fn add_number(&self, account_sid: &AccountSid, number: &E164, sms_capable: bool) -> String {
        let mut state = self.lock();
        if let Some(existing) = state
            .numbers
            .iter_mut()
            .find(|n| &n.phone_number == number && &n.account_sid == account_sid)
        {
            existing.sms_capable = sms_capable;
            return existing.sid.clone();
        }
        // A number belongs to one account at a time.
        state.numbers.retain(|n| &n.phone_number != number);
        let created = records::now();
        let sid = records::new_sid("PN");
        state.numbers.push(Number {
            sid: sid.clone(),
            account_sid: account_sid.clone(),
            phone_number: number.clone(),
            sms_capable,
            sms_url: String::new(),
            sms_method: "POST".to_owned(),
            messaging_service_sid: None,
            created,
            updated: created,
        });
        sid
    }

    /// Puts `number` in a Messaging Service (`MG…`), or takes it out with `None`: inbound webhooks and
    /// status callbacks then carry `MessagingServiceSid`.
    pub fn set_messaging_service(&self, number: &E164, service_sid: Option<String>) {
        if let Some(n) = self
            .lock()
            .numbers
            .iter_mut()
            .find(|n| &n.phone_number == number)
        {
            n.messaging_service_sid = service_sid;
        }
    }

    /// What happens to messages created from now on to `to`.
    pub fn set_delivery_outcome(&self, to: &E164, outcome: DeliveryOutcome) {
        self.lock().outcomes.insert(to.clone(), outcome);
    }

    /// Marks `to` as having replied STOP: CreateMessage to it answers 21610.
    pub fn opt_out(&self, to: &E164) {
        self.lock().opted_out.insert(to.clone());
    }

    /// Every message so far, inbound and outbound, oldest first.
    pub fn messages(&self) -> Vec<EmulatedMessage> {
        self.lock().messages.clone()
    }

    /// The `sms_url` and `sms_method` configured on `number`, if a URL is set.
    pub fn number_sms_url(&self, number: &E164) -> Option<(String, String)> {
        self.lock()
            .numbers
            .iter()
            .find(|n| &n.phone_number == number && !n.sms_url.is_empty())
            .map(|n| (n.sms_url.clone(), n.sms_method.clone()))
    }

    /// The pause before each status change of an outbound message (0 makes tests fast).
    pub fn set_callback_delay(&self, delay: Duration) {
        self.lock().callback_delay = delay;
    }

    /// Queues a fault for a coming CreateMessage call.
    pub fn push_create_fault(&self, fault: CreateFault) {
        self.lock().faults.push_back(fault);
    }

    /// Registers the demo account and its two numbers ([`DEMO_ACCOUNT_SID`] and friends).
    /// Makes every request authenticated as `account_sid` answer 503, as during a Twilio incident.
    pub fn add_outage_account(&self, account_sid: &str) {
        self.lock().outage_accounts.insert(account_sid.to_owned());
    }

    pub fn seed_demo(&self) -> DemoAccount {
        let parse = "the demo constants are valid";
        let account_sid = AccountSid::parse(DEMO_ACCOUNT_SID).expect(parse);
        let auth_token = AuthToken::parse(DEMO_AUTH_TOKEN).expect(parse);
        let sms_number = E164::parse(DEMO_SMS_NUMBER).expect(parse);
        let voice_only_number = E164::parse(DEMO_VOICE_ONLY_NUMBER).expect(parse);
        self.add_account(
            account_sid.clone(),
            auth_token.clone(),
            DEMO_FRIENDLY_NAME,
            AccountStatus::Active,
        );
        self.add_outage_account(DEMO_OUTAGE_ACCOUNT_SID);
        self.set_delivery_outcome(
            &E164::parse(DEMO_UNREACHABLE_CUSTOMER).expect(parse),
            DeliveryOutcome::Undelivered(30003),
        );
        let sms_number_sid = self.add_number(&account_sid, &sms_number, true);
        let voice_only_number_sid = self.add_number(&account_sid, &voice_only_number, false);
        let trial_sid = AccountSid::parse(DEMO_TRIAL_ACCOUNT_SID).expect(parse);
        self.add_account(
            trial_sid.clone(),
            AuthToken::parse(DEMO_TRIAL_AUTH_TOKEN).expect(parse),
            "Viesti trial demo",
            AccountStatus::Active,
        );
        self.set_trial(&trial_sid, true);
        self.add_number(
            &trial_sid,
            &E164::parse(DEMO_TRIAL_SMS_NUMBER).expect(parse),
            true,
        );
        DemoAccount {
            account_sid,
            auth_token,
            friendly_name: DEMO_FRIENDLY_NAME.to_owned(),
            sms_number,
            sms_number_sid,
            voice_only_number,
            voice_only_number_sid,
        }
    }

    /// A customer at `from` texts the account's number `to`: records the message and sends Twilio's
    /// inbound webhook to the number's SmsUrl, signed with the owning account's Auth Token. `media` is
    /// `(url, content type)` per attachment, which makes it an MMS. Returns the app's HTTP status.
    pub async fn send_inbound(
        &self,
        from: &E164,
        to: &E164,
        body: &str,
        media: &[(String, String)],
    ) -> Result<reqwest::StatusCode, EmulatorError> {
        let (message, token, url, method) = self.receive(from, to, body, media)?;
        let params = webhooks::inbound_params(&message, media);
        let status =
            webhooks::send_signed(&self.inner.http, token.expose(), &url, &method, &params)
                .await
                .map_err(|error| match error {
                    webhooks::SendError::BadUrl => EmulatorError::BadSmsUrl(to.clone()),
                    webhooks::SendError::Request(e) => EmulatorError::Request(e),
                })?;
        Ok(status)
    }

    /// The bookkeeping half of [`Emulator::send_inbound`]: what Twilio does before calling the app.
    fn receive(
        &self,
        from: &E164,
        to: &E164,
        body: &str,
        media: &[(String, String)],
    ) -> Result<(EmulatedMessage, AuthToken, String, String), EmulatorError> {
        let mut state = self.lock();
        let number = state
            .numbers
            .iter()
            .find(|n| &n.phone_number == to)
            .ok_or_else(|| EmulatorError::UnknownNumber(to.clone()))?
            .clone();
        if !number.sms_capable {
            return Err(EmulatorError::NotSmsCapable(to.clone()));
        }
        let token = state
            .accounts
            .iter()
            .find(|a| a.sid == number.account_sid)
            .ok_or_else(|| EmulatorError::UnknownAccount(to.clone()))?
            .token
            .clone();
        // Twilio's default opt-out handling on long codes: these keywords (un)subscribe the sender.
        match records::opt_keyword(body) {
            Some(true) => {
                state.opted_out.insert(from.clone());
            }
            Some(false) => {
                state.opted_out.remove(from);
            }
            None => {}
        }
        let now = records::now();
        let message = EmulatedMessage {
            sid: records::new_message_sid(!media.is_empty()),
            account_sid: number.account_sid.clone(),
            from: from.clone(),
            to: to.clone(),
            body: body.to_owned(),
            media_urls: media.iter().map(|(url, _)| url.clone()).collect(),
            status: MessageStatus::Received,
            error_code: None,
            direction: Direction::Inbound,
            messaging_service_sid: number.messaging_service_sid.clone(),
            status_callback: None,
            num_segments: records::segments(body),
            date_created: now,
            date_updated: now,
            date_sent: Some(now),
        };
        // Twilio keeps the message even when it cannot reach the app.
        state.messages.push(message.clone());
        if number.sms_url.is_empty() {
            return Err(EmulatorError::NoSmsUrl(to.clone()));
        }
        Ok((message, token, number.sms_url, number.sms_method))
    }

    /// The state, even if a panicking test thread poisoned the lock (the data is still consistent:
    /// every change is a single push or field write).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

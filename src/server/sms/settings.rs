//! The SMS settings services behind the server functions: who may do what (owners and admins; agents
//! never see credentials), the probe, storage.
use crate::domain::sms_text::DailySegmentBudget;
use crate::domain::{AccountSid, AuthToken, E164, FriendlyName};
use crate::error::{AppError, ProbeFailure};
use crate::server::auth::require_manager;
use crate::server::repo::accounts::Member;
use crate::server::repo::chatbots;
use crate::server::repo::sms::{self, Credentials, NewSmsConnection, SmsConnection, SmsRepoError};
use crate::server::sms::connect::probe;
use crate::server::sms::demo;
use crate::server::sms::reachability;
use crate::server::state::{AppState, app_state};
use crate::server::telemetry::signals::{self, Scope, Signal};
use crate::server::twilio::client::TwilioError;
use crate::wire::sms::{
    DemoCredentials, SmsConnectionView, SmsSettings, WEBHOOK_PATH, WebhookCheck,
};
use uuid::Uuid;

impl From<SmsRepoError> for AppError {
    fn from(error: SmsRepoError) -> Self {
        match error {
            SmsRepoError::NumberTaken => AppError::Conflict(
                "This number is already connected to another chatbot. Disconnect it there first."
                    .into(),
            ),
            SmsRepoError::ChatbotTaken => AppError::Conflict(
                "This chatbot already has an SMS connection. Reload the page.".into(),
            ),
            SmsRepoError::Crypto(error) => {
                tracing::error!(tags.channel = "channels/sms", %error, "stored Twilio credentials could not be opened");
                AppError::Internal
            }
            SmsRepoError::Db(error) => error.into(),
        }
    }
}

fn webhook_url(state: &AppState) -> String {
    state.config.public_url(WEBHOOK_PATH)
}

/// What to tell the owner when Twilio cannot use the webhook URL as `PUBLIC_BASE_URL` makes it.
fn webhook_warning(state: &AppState) -> Option<String> {
    let problem = reachability::check(&state.config.public_base_url)?;
    let local = if state.emulator.is_some() {
        " The built-in Twilio emulator can reach it, so the demo works here."
    } else {
        ""
    };
    Some(format!(
        "{}{local} For a real Twilio number, set PUBLIC_BASE_URL to this server's public https address (for example https://sms.example.com) and restart Viesti.",
        problem.explain()
    ))
}

/// The chatbot exists in the member's workspace (else 404).
async fn chatbot_name(
    state: &AppState,
    member: &Member,
    chatbot_id: Uuid,
) -> Result<String, AppError> {
    Ok(chatbots::find(&state.db, member.workspace_id, chatbot_id)
        .await?
        .ok_or(AppError::NotFound)?
        .name)
}

/// A manager of a workspace whose plan includes SMS.
async fn require_sms_manager(state: &AppState, chatbot_id: Uuid) -> Result<Member, AppError> {
    let member = require_manager(state).await?;
    chatbot_name(state, &member, chatbot_id).await?;
    if !member.plan.allows_integrations() {
        return Err(AppError::PlanRequired(
            "SMS is part of the Starter plan and above. Upgrade your workspace to connect Twilio."
                .into(),
        ));
    }
    Ok(member)
}

/// A failed probe, for the person connecting (the page's words) and for the operators (a signal).
fn probe_failed(member: &Member, chatbot_id: Uuid, failure: ProbeFailure) -> AppError {
    signals::raise(
        Signal::ProbeFailed,
        "channels/sms",
        Scope::chatbot(member.workspace_id, chatbot_id),
        &format_args!("{failure:?}"),
    );
    AppError::Probe(failure)
}

pub async fn load(chatbot_id: Uuid) -> Result<SmsSettings, AppError> {
    let state = app_state()?;
    let member = require_manager(&state).await?;
    let chatbot_name = chatbot_name(&state, &member, chatbot_id).await?;
    let connection =
        sms::find_for_chatbot(&state.db, &state.keyring, member.workspace_id, chatbot_id).await?;
    let (budget, segments_today) = sms::segment_use(&state.db, member.workspace_id).await?;
    Ok(SmsSettings {
        daily_segment_budget: budget.get(),
        segments_today,
        chatbot_id,
        chatbot_name,
        plan_allows: member.plan.allows_integrations(),
        webhook_url: webhook_url(&state),
        webhook_warning: webhook_warning(&state),
        demo: state.emulator.as_ref().map(|_| DemoCredentials {
            account_sid: demo::DEMO_ACCOUNT_SID.to_owned(),
            auth_token: demo::DEMO_AUTH_TOKEN.to_owned(),
            phone_number: demo::DEMO_SMS_NUMBER.to_owned(),
        }),
        connection: connection.map(|c| SmsConnectionView {
            phone_number: c.phone_number.to_string(),
            friendly_name: c.friendly_name,
            account_sid: c.credentials.account_sid.to_string(),
            auth_token_masked: c.credentials.auth_token.masked(),
            connected_at: c
                .connected_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            trial: c.trial,
        }),
    })
}

async fn existing(
    state: &AppState,
    member: &Member,
    chatbot_id: Uuid,
) -> Result<SmsConnection, AppError> {
    sms::find_for_chatbot(&state.db, &state.keyring, member.workspace_id, chatbot_id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn check_webhook(chatbot_id: Uuid) -> Result<WebhookCheck, AppError> {
    let state = app_state()?;
    let member = require_manager(&state).await?;
    let connection = existing(&state, &member, chatbot_id).await?;
    let lookup = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        state
            .twilio
            .find_incoming_number(&connection.credentials, &connection.phone_number),
    )
    .await;
    let number = match lookup {
        Ok(Ok(Some(number))) => number,
        Ok(Ok(None)) | Ok(Err(_)) | Err(_) => return Ok(WebhookCheck::Unknown),
    };
    let ours = webhook_url(&state);
    Ok(
        if number
            .sms_application_sid
            .as_deref()
            .is_some_and(|s| !s.is_empty())
        {
            WebhookCheck::UsesApplication
        } else {
            match number.sms_url.as_deref().map(str::trim) {
                None | Some("") => WebhookCheck::NotSet,
                Some(url)
                    if url == ours
                        && number
                            .sms_method
                            .as_deref()
                            .is_none_or(|m| m.eq_ignore_ascii_case("POST")) =>
                {
                    WebhookCheck::PointsHere
                }
                Some(url) => WebhookCheck::PointsElsewhere {
                    url: url.to_owned(),
                },
            }
        },
    )
}

/// Parses a number and checks it is a real number in its country (server only: the phonenumber
/// crate's metadata is too heavy for the browser).
fn parse_number(input: &str) -> Result<E164, AppError> {
    let number = E164::parse(input).map_err(|e| AppError::invalid("phone_number", e.0))?;
    let valid = phonenumber::parse(None, number.as_str())
        .map(|parsed| phonenumber::is_valid(&parsed))
        .unwrap_or(false);
    if !valid {
        return Err(AppError::invalid(
            "phone_number",
            "That isn't a valid number in its country. Check the digits after the country code.",
        ));
    }
    Ok(number)
}

pub async fn connect(
    chatbot_id: Uuid,
    account_sid: &str,
    auth_token: &str,
    phone_number: &str,
    friendly_name: &str,
) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_sms_manager(&state, chatbot_id).await?;
    let credentials = Credentials {
        account_sid: AccountSid::parse(account_sid)
            .map_err(|e| AppError::invalid("account_sid", e.0))?,
        auth_token: AuthToken::parse(auth_token)
            .map_err(|e| AppError::invalid("auth_token", e.0))?,
    };
    let number = parse_number(phone_number)?;
    let friendly_name =
        FriendlyName::parse(friendly_name).map_err(|e| AppError::invalid("friendly_name", e.0))?;
    if sms::number_taken_elsewhere(&state.db, &number, chatbot_id).await? {
        return Err(SmsRepoError::NumberTaken.into());
    }
    state.rate_limits.check_probe(member.workspace_id)?;
    let probed = probe(&state.twilio, &credentials, &number)
        .await
        .map_err(|failure| probe_failed(&member, chatbot_id, failure))?;
    let connection = sms::insert(
        &state.db,
        &state.keyring,
        NewSmsConnection {
            workspace_id: member.workspace_id,
            chatbot_id,
            phone_number: &number,
            phone_number_sid: &probed.number.sid,
            friendly_name: &friendly_name,
            credentials: &credentials,
            trial: probed.trial,
        },
    )
    .await?;
    // The number is masked in the log line (telemetry's writer): +35•••67.
    tracing::info!(connection_id = %connection.id, %chatbot_id, number = %number, "SMS connected");
    Ok(())
}

pub async fn update(
    chatbot_id: Uuid,
    auth_token: &str,
    friendly_name: &str,
) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_sms_manager(&state, chatbot_id).await?;
    let connection = existing(&state, &member, chatbot_id).await?;
    let auth_token = if auth_token.trim().is_empty() {
        connection.credentials.auth_token.clone()
    } else {
        AuthToken::parse(auth_token).map_err(|e| AppError::invalid("auth_token", e.0))?
    };
    let friendly_name =
        FriendlyName::parse(friendly_name).map_err(|e| AppError::invalid("friendly_name", e.0))?;
    let credentials = Credentials {
        account_sid: connection.credentials.account_sid.clone(),
        auth_token: auth_token.clone(),
    };
    state.rate_limits.check_probe(member.workspace_id)?;
    let probed = probe(&state.twilio, &credentials, &connection.phone_number)
        .await
        .map_err(|failure| probe_failed(&member, chatbot_id, failure))?;
    sms::update(
        &state.db,
        &state.keyring,
        &connection,
        &auth_token,
        &friendly_name,
        probed.trial,
    )
    .await?;
    state.connections.forget(&connection.phone_number);
    tracing::info!(connection_id = %connection.id, "SMS connection updated");
    Ok(())
}

pub async fn set_daily_budget(chatbot_id: Uuid, budget: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_sms_manager(&state, chatbot_id).await?;
    let budget = DailySegmentBudget::parse(budget).map_err(|e| AppError::invalid("budget", e.0))?;
    sms::set_daily_budget(&state.db, member.workspace_id, budget).await?;
    tracing::info!(workspace_id = %member.workspace_id, segments = budget.get(), "daily SMS budget set");
    Ok(())
}

pub async fn disconnect(chatbot_id: Uuid) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_manager(&state).await?;
    chatbot_name(&state, &member, chatbot_id).await?;
    // Allowed below Starter too: a downgraded workspace must still be able to remove its secrets.
    if !sms::delete(&state.db, member.workspace_id, chatbot_id).await? {
        return Err(AppError::NotFound);
    }
    state.connections.forget_chatbot(chatbot_id);
    tracing::info!(%chatbot_id, "SMS disconnected; stored Twilio credentials deleted");
    Ok(())
}

pub async fn configure_webhook(chatbot_id: Uuid) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_sms_manager(&state, chatbot_id).await?;
    let connection = existing(&state, &member, chatbot_id).await?;
    let url = webhook_url(&state);
    let updated = tokio::time::timeout(
        crate::server::sms::connect::PROBE_DEADLINE,
        state
            .twilio
            .set_sms_url(&connection.credentials, &connection.phone_number_sid, &url),
    )
    .await;
    match updated {
        Ok(Ok(_)) => {
            tracing::info!(connection_id = %connection.id, "Twilio webhook configured");
            Ok(())
        }
        Ok(Err(error)) if !error.is_transient() => {
            tracing::warn!(tags.channel = "channels/sms", %error, "Twilio refused the webhook update");
            Err(AppError::Probe(match error {
                TwilioError::Api { status: 404, .. } => ProbeFailure::NumberNotOnAccount,
                TwilioError::Api {
                    status: 401 | 403, ..
                } => ProbeFailure::CredentialsRejected,
                _ => ProbeFailure::TwilioUnreachable,
            }))
        }
        Ok(Err(error)) => {
            tracing::warn!(tags.channel = "channels/sms", %error, "Twilio webhook update failed");
            Err(AppError::Probe(ProbeFailure::TwilioUnreachable))
        }
        Err(_) => Err(AppError::Probe(ProbeFailure::TwilioUnreachable)),
    }
}

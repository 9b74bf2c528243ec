//! Connecting a chatbot to its business's Twilio number: check with Twilio before anything is saved
//! (the probe), then store the credentials sealed.
use crate::domain::E164;
use crate::error::ProbeFailure;
use crate::server::twilio::client::{Credentials, IncomingNumber, TwilioClient, TwilioError};
use std::time::Duration;

/// The whole probe's deadline: the page waits at most this long for Twilio.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(8);

/// Twilio's code for "Authenticate" (bad SID or token, or a suspended or closed account).
const AUTHENTICATE: u32 = 20003;

/// What the probe found: the number as Twilio knows it, and whether the account is a trial.
#[derive(Debug, Clone)]
pub struct Probed {
    pub number: IncomingNumber,
    /// Twilio's Account `type` is `Trial`: texts reach only the account's verified numbers.
    pub trial: bool,
}

/// Asks Twilio whether the credentials work, the account is active, and the number is the account's
/// and can do SMS.
pub async fn probe(
    client: &TwilioClient,
    credentials: &Credentials,
    number: &E164,
) -> Result<Probed, ProbeFailure> {
    probe_within(PROBE_DEADLINE, client, credentials, number).await
}

/// [`probe`] with another deadline (tests use a short one).
pub async fn probe_within(
    deadline: Duration,
    client: &TwilioClient,
    credentials: &Credentials,
    number: &E164,
) -> Result<Probed, ProbeFailure> {
    match tokio::time::timeout(deadline, probe_unbounded(client, credentials, number)).await {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::warn!(
                tags.channel = "channels/sms",
                "Twilio probe hit its deadline"
            );
            Err(ProbeFailure::TwilioUnreachable)
        }
    }
}

async fn probe_unbounded(
    client: &TwilioClient,
    credentials: &Credentials,
    number: &E164,
) -> Result<Probed, ProbeFailure> {
    let account = client.fetch_account(credentials).await.map_err(classify)?;
    match account.status.as_deref() {
        Some("suspended") => return Err(ProbeFailure::AccountSuspended),
        Some("closed") => return Err(ProbeFailure::AccountClosed),
        _ => {}
    }
    let found = client
        .find_incoming_number(credentials, number)
        .await
        .map_err(classify)?
        .ok_or(ProbeFailure::NumberNotOnAccount)?;
    if !found.capabilities.sms {
        return Err(ProbeFailure::NumberCannotSms);
    }
    Ok(Probed {
        number: found,
        trial: account.is_trial(),
    })
}

/// What a Twilio error means to the person connecting.
fn classify(error: TwilioError) -> ProbeFailure {
    let failure = match &error {
        TwilioError::Api {
            status: 401 | 403, ..
        } => ProbeFailure::CredentialsRejected,
        TwilioError::Api {
            code: Some(AUTHENTICATE),
            ..
        } => ProbeFailure::CredentialsRejected,
        // Fetching one's own account cannot be "not found" unless the SID is not this token's.
        TwilioError::Api { status: 404, .. } => ProbeFailure::CredentialsRejected,
        _ => ProbeFailure::TwilioUnreachable,
    };
    if failure == ProbeFailure::TwilioUnreachable {
        tracing::warn!(tags.channel = "channels/sms", error = %error, "Twilio probe failed");
    } else {
        tracing::info!(error = %error, "Twilio refused the probe");
    }
    failure
}

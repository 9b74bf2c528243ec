//! The connect probe's verdicts, against the Twilio emulator and against servers that misbehave.
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use viesti::domain::{AccountSid, AuthToken, E164};
use viesti::error::ProbeFailure;
use viesti::server::emulator::{AccountStatus, Emulator};
use viesti::server::sms::connect::probe_within;
use viesti::server::twilio::client::{Credentials, TwilioClient};

const DEADLINE: Duration = Duration::from_millis(1500);

fn credentials(sid: &str, token: &str) -> Credentials {
    Credentials {
        account_sid: AccountSid::parse(sid).expect("sid"),
        auth_token: AuthToken::parse(token).expect("token"),
    }
}

fn number(value: &str) -> E164 {
    E164::parse(value).expect("number")
}

async fn emulator() -> (
    Emulator,
    TwilioClient,
    viesti::server::emulator::DemoAccount,
) {
    let emulator = Emulator::new();
    let demo = emulator.seed_demo();
    let addr = emulator
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start");
    let client =
        TwilioClient::new(&format!("http://{addr}").parse().expect("url")).expect("client");
    (emulator, client, demo)
}

async fn verdict(
    client: &TwilioClient,
    creds: &Credentials,
    to: &E164,
) -> Result<String, ProbeFailure> {
    probe_within(DEADLINE, client, creds, to)
        .await
        .map(|probed| probed.number.sid)
}

#[tokio::test]
async fn valid_credentials_and_an_sms_number_pass_and_return_the_number_sid() {
    let (_emulator, client, demo) = emulator().await;
    let creds = Credentials {
        account_sid: demo.account_sid.clone(),
        auth_token: demo.auth_token.clone(),
    };
    assert_eq!(
        verdict(&client, &creds, &demo.sms_number).await,
        Ok(demo.sms_number_sid)
    );
}

#[tokio::test]
async fn a_wrong_token_is_rejected_credentials() {
    let (_emulator, client, demo) = emulator().await;
    let creds = credentials(
        demo.account_sid.as_str(),
        "0123456789abcdef0123456789abcdef",
    );
    assert_eq!(
        verdict(&client, &creds, &demo.sms_number).await,
        Err(ProbeFailure::CredentialsRejected)
    );
}

#[tokio::test]
async fn suspended_and_closed_accounts_are_told_apart() {
    let (emulator, client, _demo) = emulator().await;
    for (sid, status, expected) in [
        (
            "AC11111111111111111111111111111111",
            AccountStatus::Suspended,
            ProbeFailure::AccountSuspended,
        ),
        (
            "AC22222222222222222222222222222222",
            AccountStatus::Closed,
            ProbeFailure::AccountClosed,
        ),
    ] {
        let creds = credentials(sid, "11111111111111111111111111111111");
        emulator.add_account(
            creds.account_sid.clone(),
            creds.auth_token.clone(),
            "Paused",
            status,
        );
        assert_eq!(
            verdict(&client, &creds, &number("+358401111111")).await,
            Err(expected)
        );
    }
}

#[tokio::test]
async fn a_number_of_another_account_does_not_belong() {
    let (emulator, client, demo) = emulator().await;
    let other = credentials(
        "AC33333333333333333333333333333333",
        "33333333333333333333333333333333",
    );
    emulator.add_account(
        other.account_sid.clone(),
        other.auth_token.clone(),
        "Other",
        AccountStatus::Active,
    );
    assert_eq!(
        verdict(&client, &other, &demo.sms_number).await,
        Err(ProbeFailure::NumberNotOnAccount)
    );
    // A number that merely contains the digits is not the number.
    let demo_creds = Credentials {
        account_sid: demo.account_sid,
        auth_token: demo.auth_token,
    };
    assert_eq!(
        verdict(&client, &demo_creds, &number("+35840123456")).await,
        Err(ProbeFailure::NumberNotOnAccount)
    );
}

#[tokio::test]
async fn a_number_without_sms_is_refused() {
    let (_emulator, client, demo) = emulator().await;
    let creds = Credentials {
        account_sid: demo.account_sid,
        auth_token: demo.auth_token,
    };
    assert_eq!(
        verdict(&client, &creds, &demo.voice_only_number).await,
        Err(ProbeFailure::NumberCannotSms)
    );
}

/// A fake Twilio that answers every request with `status` and a Twilio error body.
async fn answering(status: u16) -> SocketAddr {
    let app = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::from_u16(status).expect("status"),
            [("content-type", "application/json")],
            format!(r#"{{"code": 20500, "message": "Internal Server Error", "status": {status}}}"#),
        )
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A server that accepts connections and then either holds them silently or resets them.
async fn misbehaving(reset: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            if reset {
                let _ = stream.set_zero_linger();
                let _ = stream.shutdown().await;
                drop(stream);
            } else {
                held.push(stream);
            }
        }
    });
    addr
}

async fn unreachable_verdict(addr: SocketAddr) -> (Result<String, ProbeFailure>, Duration) {
    let client =
        TwilioClient::new(&format!("http://{addr}").parse().expect("url")).expect("client");
    let creds = credentials(
        "AC44444444444444444444444444444444",
        "44444444444444444444444444444444",
    );
    let started = Instant::now();
    let outcome = verdict(&client, &creds, &number("+358401234567")).await;
    (outcome, started.elapsed())
}

#[tokio::test]
async fn twilio_errors_500_and_429_mean_twilio_is_unreachable() {
    for status in [500, 503, 429] {
        let (outcome, _) = unreachable_verdict(answering(status).await).await;
        assert_eq!(
            outcome,
            Err(ProbeFailure::TwilioUnreachable),
            "HTTP {status}"
        );
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_cut_off_at_the_deadline() {
    let (outcome, took) = unreachable_verdict(misbehaving(false).await).await;
    assert_eq!(outcome, Err(ProbeFailure::TwilioUnreachable));
    assert!(
        took < DEADLINE + Duration::from_millis(500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_reset_connection_or_a_closed_port_is_unreachable() {
    let (outcome, _) = unreachable_verdict(misbehaving(true).await).await;
    assert_eq!(outcome, Err(ProbeFailure::TwilioUnreachable));
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let (outcome, _) = unreachable_verdict(closed).await;
    assert_eq!(outcome, Err(ProbeFailure::TwilioUnreachable));
}

#[tokio::test]
async fn the_demo_outage_account_makes_twilio_unreachable() {
    let (_emulator, client, demo) = emulator().await;
    let creds = credentials(
        viesti::server::emulator::DEMO_OUTAGE_ACCOUNT_SID,
        "fa11fa11fa11fa11fa11fa11fa11fa11",
    );
    assert_eq!(
        verdict(&client, &creds, &demo.sms_number).await,
        Err(ProbeFailure::TwilioUnreachable)
    );
}

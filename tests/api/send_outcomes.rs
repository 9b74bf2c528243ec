//! A send whose outcome is unknown never becomes a second text to the customer. Twilio may accept a
//! message and the answer still not arrive (a timeout, a connection closed after the request got
//! through, a 201 whose body cannot be read); the message then sits queued at Twilio with no
//! `date_sent`. The next try must find it there, by when Twilio created it, and not send again.
//! Twilio's 429 is retried no sooner than its `Retry-After`.
use crate::helpers::Backend;
use crate::on_both_databases;
use crate::sms_pipeline::{Sms, connected, eventually};
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use viesti::server::emulator::CreateFault;

/// Texts the bot once with `fault` waiting for its reply's send, while Twilio keeps every message
/// queued (its lifecycle waits a minute before `sent`); returns once the job is done.
async fn answered_through(sms: &Sms, fault: CreateFault) {
    sms.emulator.set_callback_delay(Duration::from_secs(60));
    sms.emulator.push_create_fault(fault);
    assert_eq!(sms.text("Are you there?").await, StatusCode::OK);
    eventually("the reply job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
}

/// Exactly one text reached Twilio, the reply in the thread carries its SID, and it took a second
/// try (the first one's answer was lost).
async fn assert_sent_once(sms: &Sms) {
    let replies = sms.replies();
    assert_eq!(replies.len(), 1, "reconciled, not sent again");
    let sid = replies[0].sid.as_str();
    assert_eq!(
        sms.app
            .count(&format!(
                "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status <> 'failed' \
                 AND twilio_sid = '{sid}'"
            ))
            .await,
        1,
        "the reply knows its SID"
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 2")
            .await,
        1
    );
}

async fn a_send_that_timed_out_while_twilio_kept_it_queued_is_not_repeated(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_TWILIO_TIMEOUT_MS", "500")]).await;
    answered_through(
        &sms,
        CreateFault::AcceptThenHang(Duration::from_millis(1500)),
    )
    .await;
    assert_sent_once(&sms).await;
}

async fn a_send_whose_connection_dropped_after_twilio_took_it_is_not_repeated(backend: Backend) {
    let sms = connected(backend, &[]).await;
    answered_through(&sms, CreateFault::AcceptThenDrop).await;
    assert_sent_once(&sms).await;
}

async fn a_send_answered_201_with_an_unreadable_body_is_neither_failed_nor_repeated(
    backend: Backend,
) {
    let sms = connected(backend, &[]).await;
    answered_through(&sms, CreateFault::AcceptWithBrokenBody).await;
    assert_sent_once(&sms).await;
}

async fn a_slow_twilio_within_the_timeout_is_one_send_in_one_try(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_TWILIO_TIMEOUT_MS", "3000")]).await;
    answered_through(
        &sms,
        CreateFault::AcceptThenHang(Duration::from_millis(700)),
    )
    .await;
    assert_eq!(sms.replies().len(), 1);
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1")
            .await,
        1
    );
}

async fn twilios_429_is_retried_no_sooner_than_its_retry_after(backend: Backend) {
    // Retries would otherwise come after 50 ms.
    let sms = connected(backend, &[]).await;
    sms.emulator.push_create_fault(CreateFault::RateLimited {
        retry_after_secs: 2,
    });
    let started = Instant::now();
    assert_eq!(sms.text("Busy?").await, StatusCode::OK);
    eventually("a reply", || async { !sms.replies().is_empty() }).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1900),
        "sent again after {waited:?}, before Twilio's Retry-After"
    );
    assert_eq!(sms.replies().len(), 1);
    let why = sms.app.text("SELECT last_error FROM jobs").await;
    assert!(why.contains("429"), "the job says why it waited: {why}");
}

on_both_databases!(
    a_send_that_timed_out_while_twilio_kept_it_queued_is_not_repeated,
    a_send_whose_connection_dropped_after_twilio_took_it_is_not_repeated,
    a_send_answered_201_with_an_unreadable_body_is_neither_failed_nor_repeated,
    a_slow_twilio_within_the_timeout_is_one_send_in_one_try,
    twilios_429_is_retried_no_sooner_than_its_retry_after,
);

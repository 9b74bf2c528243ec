//! Signals for the people who run Viesti: each one is an error event, so it becomes a Sentry issue
//! (through the subscriber's error layer), tagged with its channel, its kind and the workspace and
//! chatbot it concerns. Nothing else rides along: no token, no message body, no phone number — the
//! detail is a reason the code chose, and `scrub` cleans whatever reaches Sentry anyway.
//!
//! Signals anyone on the internet can cause (a bad signature, an unknown number) and ones that come in
//! floods (a carrier refusing every text, a model vendor down) are sent at most once a minute per kind
//! and workspace; the rest are sent every time.
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// Connecting or updating SMS: Twilio refused the credentials or the number, or could not be asked.
    ProbeFailed,
    /// A webhook for a connected number whose `X-Twilio-Signature` does not verify.
    BadSignature,
    /// A webhook for a number no chatbot has connected.
    UnknownNumber,
    /// A reply Twilio reports as `undelivered` or `failed`.
    DeliveryFailed,
    /// The model could not answer (the job will retry).
    ModelFailed,
    /// A reply job ran out of tries or failed for good.
    JobGaveUp,
}

impl Signal {
    /// The `signal` tag.
    pub fn kind(self) -> &'static str {
        match self {
            Self::ProbeFailed => "probe_failed",
            Self::BadSignature => "bad_signature",
            Self::UnknownNumber => "unknown_number",
            Self::DeliveryFailed => "delivery_failed",
            Self::ModelFailed => "model_failed",
            Self::JobGaveUp => "job_gave_up",
        }
    }

    /// The event's message: Sentry groups issues by it.
    fn message(self) -> &'static str {
        match self {
            Self::ProbeFailed => "Twilio probe failed",
            Self::BadSignature => "webhook refused: missing or invalid X-Twilio-Signature",
            Self::UnknownNumber => "webhook for a number no chatbot has connected",
            Self::DeliveryFailed => "SMS not delivered",
            Self::ModelFailed => "the model could not answer",
            Self::JobGaveUp => "reply job gave up",
        }
    }

    fn throttled(self) -> bool {
        matches!(
            self,
            Self::BadSignature | Self::UnknownNumber | Self::DeliveryFailed | Self::ModelFailed
        )
    }
}

/// Whom a signal concerns, as far as the code that raises it knows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope {
    pub workspace_id: Option<Uuid>,
    pub chatbot_id: Option<Uuid>,
}

impl Scope {
    pub fn chatbot(workspace_id: Uuid, chatbot_id: Uuid) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            chatbot_id: Some(chatbot_id),
        }
    }
}

/// How often a throttled signal may be sent per kind and workspace.
pub const THROTTLE: Duration = Duration::from_secs(60);

/// Sends `signal` for `scope` on `channel` (`channels/sms`, `channels/web`), unless it is throttled
/// and was sent for this workspace within the last minute.
pub fn raise(signal: Signal, channel: &'static str, scope: Scope, detail: &dyn Display) {
    if signal.throttled() && !GATE.open(signal, scope.workspace_id, Instant::now()) {
        // Held back from Sentry, still in the log (an info line: a breadcrumb, not an issue).
        tracing::info!(
            tags.channel = channel,
            tags.signal = signal.kind(),
            tags.workspace_id = scope.workspace_id.map(tracing::field::display),
            detail = %detail,
            "{} (throttled)",
            signal.message()
        );
        return;
    }
    tracing::error!(
        tags.channel = channel,
        tags.signal = signal.kind(),
        tags.workspace_id = scope.workspace_id.map(tracing::field::display),
        tags.chatbot_id = scope.chatbot_id.map(tracing::field::display),
        detail = %detail,
        "{}",
        signal.message()
    );
}

static GATE: LazyLock<Gate> = LazyLock::new(Gate::default);

/// When each (kind, workspace) was last let through.
#[derive(Default)]
struct Gate {
    last: Mutex<HashMap<(Signal, Option<Uuid>), Instant>>,
}

impl Gate {
    fn open(&self, signal: Signal, workspace: Option<Uuid>, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded by the workspaces seen within a minute: older entries are dropped on the way.
        if last.len() > 10_000 {
            last.retain(|_, at| now.duration_since(*at) < THROTTLE);
        }
        match last.get(&(signal, workspace)) {
            Some(at) if now.duration_since(*at) < THROTTLE => false,
            _ => {
                last.insert((signal, workspace), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_signal_passes_once_a_minute_per_workspace() {
        let gate = Gate::default();
        let start = Instant::now();
        let (a, b) = (Some(Uuid::new_v4()), Some(Uuid::new_v4()));
        assert!(gate.open(Signal::BadSignature, a, start));
        assert!(!gate.open(Signal::BadSignature, a, start + Duration::from_secs(59)));
        assert!(
            gate.open(Signal::BadSignature, b, start),
            "another workspace"
        );
        assert!(gate.open(Signal::ModelFailed, a, start), "another kind");
        assert!(gate.open(Signal::BadSignature, a, start + THROTTLE));
    }

    #[test]
    fn only_signals_anyone_can_flood_are_throttled() {
        assert!(Signal::BadSignature.throttled());
        assert!(Signal::UnknownNumber.throttled());
        assert!(!Signal::ProbeFailed.throttled());
        assert!(!Signal::JobGaveUp.throttled());
    }

    #[test]
    fn a_throttled_signal_still_leaves_an_info_line_in_the_log() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let workspace = Uuid::new_v4();
        tracing::subscriber::with_default(subscriber, || {
            for attempt in ["first", "second"] {
                raise(
                    Signal::BadSignature,
                    "channels/sms",
                    Scope::chatbot(workspace, Uuid::new_v4()),
                    &format_args!("{attempt} forged request"),
                );
            }
        });
        let logged = String::from_utf8(buffer.0.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<&str> = logged.lines().collect();
        assert_eq!(lines.len(), 2, "{logged}");
        assert!(
            lines[0].contains("ERROR") && lines[0].contains("first forged request"),
            "{logged}"
        );
        assert!(
            lines[1].contains(" INFO")
                && lines[1].contains("(throttled)")
                && lines[1].contains("second forged request"),
            "{logged}"
        );
    }
}

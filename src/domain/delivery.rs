//! Where an outbound message stands, and why a failed one failed, in plain words for the inbox.
use serde::{Deserialize, Serialize};

/// How far along its lifecycle a status is. Twilio's callbacks can arrive late or twice; a message
/// never moves to a lower rank (shared/twilio/API.md §6).
pub fn status_rank(status: &str) -> u8 {
    match status {
        // Ours: recorded, not yet accepted by Twilio.
        "pending" => 0,
        "accepted" | "scheduled" => 1,
        "queued" => 2,
        "sending" => 3,
        "sent" => 4,
        "delivered" | "undelivered" | "failed" | "read" | "canceled" | "partially_delivered" => 5,
        _ => 0,
    }
}

/// Whether a status is one Twilio will not change any more.
pub fn is_final(status: &str) -> bool {
    status_rank(status) == 5
}

/// The status as the inbox shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Recorded, or accepted by Twilio and waiting to leave.
    Queued,
    Sent,
    Delivered,
    /// The carrier could not deliver it (Twilio's `undelivered`).
    Undelivered,
    /// It never left Twilio (Twilio's `failed`, or refused when we sent it).
    Failed,
    /// We did not send it (a person took over first); Twilio never saw it.
    NotSent,
}

impl DeliveryState {
    pub fn of(status: &str) -> Self {
        match status {
            "delivered" | "read" => Self::Delivered,
            "sent" => Self::Sent,
            "undelivered" => Self::Undelivered,
            "failed" => Self::Failed,
            "canceled" => Self::NotSent,
            _ => Self::Queued,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Sent => "Sent",
            Self::Delivered => "Delivered",
            Self::Undelivered => "Undelivered",
            Self::Failed => "Failed",
            Self::NotSent => "Not sent",
        }
    }

    /// Whether the message did not reach the customer and will not by itself (a person may retry it).
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Undelivered | Self::Failed)
    }
}

/// Twilio's error codes for a message that did not arrive, said plainly (API.md §12).
pub fn failure_reason(code: i64) -> &'static str {
    match code {
        20003 => {
            "Twilio refused the account's credentials (the Auth Token may have changed, or the account is suspended)."
        }
        21211 => "The customer's number isn't a valid phone number.",
        21408 => {
            "Your Twilio account isn't allowed to send to this country (Geo Permissions in Twilio Console)."
        }
        21606 => "Your Twilio number can't send SMS to this destination.",
        21608 => "Your Twilio trial account can only text verified numbers.",
        21610 => {
            "The customer has opted out (replied STOP), so Twilio won't deliver texts to them."
        }
        21612 => {
            "Twilio can't route a text between your number and the customer's (the number may not support this route)."
        }
        21614 => "The customer's number can't receive SMS (it may be a landline).",
        21617 => "The reply was longer than Twilio's 1,600-character limit.",
        30001 => "Twilio's queue was full; the message was sent too fast.",
        30002 => "Your Twilio account is suspended.",
        30003 => "The customer's phone is unreachable (switched off or out of coverage).",
        30004 => "The message was blocked by the customer or their carrier.",
        30005 => "The customer's number doesn't exist or is no longer in use.",
        30006 => "The number is a landline or the carrier can't be reached.",
        30007 => "The carrier filtered the message as spam or unwanted content.",
        30008 => "The carrier reported an unknown error.",
        30009 => "A part of the message went missing on the way.",
        30010 => "The message cost more than the maximum price set in Twilio.",
        30032 => "Your Twilio toll-free number isn't verified, so carriers block its texts.",
        30034 => "Your US number isn't registered for A2P 10DLC, so carriers block its texts.",
        _ => "Twilio couldn't deliver the message.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        assert!(status_rank("queued") < status_rank("sent"));
        assert!(status_rank("sent") < status_rank("delivered"));
        assert_eq!(status_rank("delivered"), status_rank("undelivered"));
        assert!(is_final("failed") && !is_final("sent"));
    }

    #[test]
    fn common_codes_have_their_own_words_and_others_a_fallback() {
        let codes = [
            20003, 21211, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006, 30007, 30008,
            30032, 30034,
        ];
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            assert_ne!(failure_reason(code), failure_reason(1), "{code}");
            assert!(seen.insert(failure_reason(code)), "{code} shares its words");
        }
        assert_eq!(
            failure_reason(99999),
            "Twilio couldn't deliver the message."
        );
    }

    #[test]
    fn the_inbox_state_groups_twilio_statuses() {
        assert_eq!(DeliveryState::of("undelivered"), DeliveryState::Undelivered);
        assert_eq!(DeliveryState::of("failed"), DeliveryState::Failed);
        assert_eq!(DeliveryState::of("canceled"), DeliveryState::NotSent);
        assert_eq!(DeliveryState::of("pending"), DeliveryState::Queued);
        assert_eq!(DeliveryState::of("queued"), DeliveryState::Queued);
        assert!(DeliveryState::Undelivered.is_failure() && !DeliveryState::NotSent.is_failure());
        assert_eq!(DeliveryState::of("delivered"), DeliveryState::Delivered);
    }
}

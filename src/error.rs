//! The one error type every server function returns, shaped for the person reading it.
//!
//! Messages are written for the user and never carry a cause that could leak a secret or an internal
//! detail; causes are logged on the server where the error is created.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A form field failed its domain rule; `field` is the input's name so the page can show it inline.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Your role in this workspace doesn't allow that. Ask an owner of your workspace.")]
    Forbidden,
    #[error("{0}")]
    PlanRequired(String),
    #[error("That page or item doesn't exist, or it isn't part of your workspace.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A link that worked once and no longer does (a used or expired sign-up link).
    #[error("{0}")]
    Gone(String),
    /// Connecting a Twilio account failed its live check with Twilio.
    #[error("{}", .0.headline())]
    Probe(ProbeFailure),
    /// An invite link that cannot be used, and why.
    #[error("{0}")]
    Invite(crate::domain::InviteProblem),
    #[error("Too many attempts. Please wait a minute and try again.")]
    RateLimited,
    /// The server has no room for this now (every password-hashing slot taken, say).
    #[error("We're busy right now. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// Transport and encoding failures raised by the server-function machinery itself.
    #[error("The request couldn't be completed: {0}")]
    Request(ServerFnErrorErr),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The form field this error points at, if one (see [`crate::components::fields::focus_field`]).
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Probe(failure) => failure.field(),
            _ => None,
        }
    }

    /// The message to show beside the named input, if this error belongs to it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}

/// Why Twilio would not let us connect an account and number. The headlines are the product's exact
/// words; a second line says more where there is more to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProbeFailure {
    CredentialsRejected,
    AccountSuspended,
    AccountClosed,
    NumberNotOnAccount,
    NumberCannotSms,
    TwilioUnreachable,
}

impl ProbeFailure {
    pub fn headline(self) -> &'static str {
        match self {
            Self::CredentialsRejected | Self::AccountSuspended | Self::AccountClosed => {
                "Twilio rejected the credentials"
            }
            Self::NumberNotOnAccount => {
                "The phone number you entered doesn't belong to this Twilio account"
            }
            Self::NumberCannotSms => "This Twilio number can't send or receive SMS",
            Self::TwilioUnreachable => "Couldn't reach Twilio right now",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Self::CredentialsRejected => {
                "Check the Account SID and Auth Token in Twilio Console → Account info. A token changes when it is rotated there."
            }
            Self::AccountSuspended => {
                "This Twilio account is suspended. Reactivate it in Twilio Console, then try again."
            }
            Self::AccountClosed => {
                "This Twilio account is closed. Use the credentials of an active account."
            }
            Self::NumberNotOnAccount => {
                "Check the number under Phone Numbers → Manage → Active numbers in Twilio Console, or use that account's credentials."
            }
            Self::NumberCannotSms => {
                "Pick a number with SMS capability, or add SMS to this one in Twilio Console."
            }
            Self::TwilioUnreachable => "Nothing was saved. Please try again in a minute.",
        }
    }

    /// The form field the failure points at, if one: the cursor goes there to fix it.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Self::CredentialsRejected => Some("auth_token"),
            Self::AccountSuspended | Self::AccountClosed => Some("account_sid"),
            Self::NumberNotOnAccount | Self::NumberCannotSms => Some("phone_number"),
            Self::TwilioUnreachable => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Request(value)
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::PlanRequired(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::Probe(ProbeFailure::TwilioUnreachable) => StatusCode::BAD_GATEWAY,
            Self::Probe(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Invite(crate::domain::InviteProblem::Unknown) => StatusCode::NOT_FOUND,
            Self::Invite(_) => StatusCode::GONE,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Request(_) => StatusCode::BAD_REQUEST,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        tracing::error!(error = %error, "database error");
        Self::Internal
    }
}

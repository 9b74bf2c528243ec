//! Sign up, sign in, sign out, and who is signed in.
use crate::domain::{Plan, Role};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in member as the pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub role: Role,
    pub workspace_name: String,
    pub plan: Plan,
}

#[server(prefix = "/api", endpoint = "me")]
pub async fn current_viewer() -> Result<Option<Viewer>, AppError> {
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            Ok(auth::current_member(&state).await?.map(|m| Viewer {
                email: m.email,
                role: m.role,
                workspace_name: m.workspace_name,
                plan: m.plan,
            }))
        }
        .await,
    )
}

/// What the sign-up form shows once it was sent: the same whether or not the address has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpSent {
    /// Where the mail went, as the server understood the address.
    pub email: String,
    /// The mail is in this computer's local mailbox (`/mailbox`): no mail server is configured.
    pub local_mailbox: bool,
}

/// Mails a link that creates the workspace when opened: a new account needs its address confirmed.
/// An address that has an account gets a mail saying so instead, and the answer here is the same
/// either way, so the form cannot be used to learn who has an account.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    workspace_name: String,
    email: String,
    password: String,
) -> Result<SignUpSent, AppError> {
    use crate::domain::{Email, NewPassword, WorkspaceName};
    use crate::server::repo::sign_ups::Purpose;
    use crate::server::{sign_up, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let workspace_name = WorkspaceName::parse(&workspace_name)
                .map_err(|e| AppError::invalid("workspace_name", e.0))?;
            let email = Email::parse(&email).map_err(|e| AppError::invalid("email", e.0))?;
            let password =
                NewPassword::parse(&password).map_err(|e| AppError::invalid("password", e.0))?;
            sign_up::mail_link(
                &state,
                &email,
                password,
                Purpose::NewWorkspace(&workspace_name),
            )
            .await?;
            Ok(SignUpSent {
                email: email.as_str().to_owned(),
                local_mailbox: state.mailer.local().is_some(),
            })
        }
        .await,
    )
}

/// Opens a sign-up confirmation link: makes the account (a workspace and its owner, or a member
/// who joins by an invite) and signs it in.
#[server(prefix = "/api", endpoint = "sign_up_confirm")]
pub async fn confirm_sign_up(token: String) -> Result<(), AppError> {
    use crate::domain::SignUpToken;
    use crate::server::repo::sign_ups::{self, ConfirmError};
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            // No rate limit: the token is 256 random bits, not something to guess.
            let token = SignUpToken::parse(&token).map_err(|e| AppError::invalid("token", e.0))?;
            let member =
                match sign_ups::confirm(&state.db, &token, state.config.default_plan).await
                {
                    Ok(member) => member,
                    Err(ConfirmError::Unusable) => {
                        return Err(AppError::Gone(
                            "This link has expired or was already used. If you opened it before, sign in; if not, sign up again for a new one.".to_owned(),
                        ));
                    }
                    Err(ConfirmError::EmailTaken) => {
                        return Err(AppError::Gone(
                            "This address already has a Viesti account: sign in instead.".to_owned(),
                        ));
                    }
                    Err(ConfirmError::Invite(problem)) => return Err(AppError::Invite(problem)),
                    Err(ConfirmError::Db(error)) => return Err(error.into()),
                };
            tracing::info!(user_id = %member.user_id, workspace_id = %member.workspace_id, "account created");
            auth::sign_in_session(&auth::session().await?, member.user_id).await?;
            leptos_axum::redirect(member.role.home());
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::domain::Email;
    use crate::server::repo::accounts;
    use crate::server::{auth, devices, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let wrong = || {
                AppError::invalid(
                    "password",
                    "That email and password don't match an account.",
                )
            };
            let Ok(email) = Email::parse(&email) else {
                return Err(AppError::invalid(
                    "email",
                    "Enter the email address you signed up with.",
                ));
            };
            let secure = state.config.cookies_secure();
            let headers = leptos_axum::extract::<axum::http::HeaderMap>()
                .await
                .unwrap_or_default();
            let device = devices::recognise(&state.keyring, &headers, secure, &email);
            state
                .rate_limits
                .check_sign_in(auth::client().await?, &email, device)?;
            let found = accounts::find_credentials(&state.db, &email).await?;
            let (user_id, hash) = match found {
                Some((id, hash)) => (Some(id), Some(hash)),
                None => (None, None),
            };
            if !auth::verify_password(password, hash).await? {
                tracing::info!("sign-in refused");
                return Err(wrong());
            }
            let user_id = user_id.ok_or_else(wrong)?;
            let member = accounts::find_member(&state.db, user_id)
                .await?
                .ok_or_else(wrong)?;
            auth::sign_in_session(&auth::session().await?, user_id).await?;
            // This browser is now known to the account: guesses from elsewhere cannot lock it out.
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
                && let Ok(cookie) = axum::http::HeaderValue::from_str(&devices::issue(
                    &state.keyring,
                    secure,
                    &email,
                    device,
                ))
            {
                response.append_header(axum::http::header::SET_COOKIE, cookie);
            }
            tracing::info!(%user_id, "signed in");
            leptos_axum::redirect(member.role.home());
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{auth, state};
    state::respond(
        async {
            auth::end_session(&auth::session().await?).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

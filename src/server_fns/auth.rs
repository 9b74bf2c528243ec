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

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    workspace_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use crate::domain::{Email, NewPassword, WorkspaceName};
    use crate::server::repo::accounts::{self, CreateAccountError};
    use crate::server::{auth, state};
    state::respond(async {
        let state = state::app_state()?;
        let workspace_name = WorkspaceName::parse(&workspace_name)
            .map_err(|e| AppError::invalid("workspace_name", e.0))?;
        let email = Email::parse(&email).map_err(|e| AppError::invalid("email", e.0))?;
        let password = NewPassword::parse(&password).map_err(|e| AppError::invalid("password", e.0))?;
        state.rate_limits.check_sign_up(auth::client().await?)?;
        let hash = auth::hash_password(password).await?;
        let member = match accounts::create_workspace_with_owner(
            &state.db,
            &workspace_name,
            &email,
            hash,
            state.config.default_plan,
        )
        .await
        {
            Ok(member) => member,
            Err(CreateAccountError::EmailTaken) => {
                return Err(AppError::invalid(
                    "email",
                    "An account with this email already exists. Sign in instead.",
                ));
            }
            Err(CreateAccountError::Db(error)) => return Err(error.into()),
        };
        tracing::info!(user_id = %member.user_id, workspace_id = %member.workspace_id, "workspace created");
        auth::sign_in_session(&auth::session().await?, member.user_id).await?;
        leptos_axum::redirect("/chatbots");
        Ok(())
    }
    .await)
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

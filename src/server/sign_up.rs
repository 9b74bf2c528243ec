//! Signing up without telling who has an account: a new account needs its address confirmed by a
//! mailed link, and an address that has an account gets a mail saying so instead. The caller's
//! answer is the same either way, and takes as long (the password is hashed both ways; the mail
//! goes out in the background).
use crate::domain::{Email, NewPassword, SignUpToken};
use crate::error::AppError;
use crate::server::auth;
use crate::server::mail::Mail;
use crate::server::repo::accounts;
use crate::server::repo::sign_ups::{self, Purpose};
use crate::server::state::AppState;

/// Mails `email` the link that makes its account for `purpose` (or, when it has an account, a mail
/// that says so). Rate-limited per client and per address.
pub async fn mail_link(
    state: &AppState,
    email: &Email,
    password: NewPassword,
    purpose: Purpose<'_>,
) -> Result<(), AppError> {
    state.rate_limits.check_sign_up(auth::client().await?)?;
    state.rate_limits.check_sign_up_mail(email)?;
    let hash = auth::hash_password(password).await?;
    let mail = if accounts::email_has_account(&state.db, email).await? {
        let sign_in = state.config.public_url("/login");
        let tried = match purpose {
            Purpose::NewWorkspace(_) => {
                "tried to create a Viesti account with this address, which already has one"
            }
            Purpose::JoinInvite(_) => {
                "tried to join a team on Viesti with this address, which already has an account (an address belongs to one workspace: to join another, use another address)"
            }
        };
        Mail {
            to: email.clone(),
            subject: "You already have a Viesti account".to_owned(),
            text: format!(
                "Someone, perhaps you, {tried}.\n\nTo sign in, open {sign_in}\n\nIf it wasn't you, there is nothing to do: nothing was changed.\n"
            ),
            link: sign_in,
        }
    } else {
        let token = SignUpToken::generate();
        let action = match purpose {
            Purpose::NewWorkspace(_) => "finish creating your Viesti workspace",
            Purpose::JoinInvite(_) => "join your team on Viesti",
        };
        sign_ups::request(&state.db, &token, purpose, email, hash).await?;
        let link = state
            .config
            .public_url(&format!("/signup/confirm/{}", token.expose()));
        Mail {
            to: email.clone(),
            subject: "Confirm your address for Viesti".to_owned(),
            text: format!(
                "Open this link to confirm your address and {action}:\n\n{link}\n\nThe link works once, for 24 hours. If you didn't ask for it, ignore this mail: no account is made without it.\n"
            ),
            link,
        }
    };
    state.mailer.send_later(mail);
    tracing::info!("sign-up mail queued");
    Ok(())
}

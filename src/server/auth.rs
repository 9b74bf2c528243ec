//! Password hashing, who is calling a server function, and the limits on guessing passwords.
use crate::domain::NewPassword;
use crate::error::AppError;
use crate::server::client_addr::{ClientIp, ClientKey};
use crate::server::repo::accounts::{self, Member};
use crate::server::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::LazyLock;
use tower_sessions::Session;
use uuid::Uuid;

/// The session key that holds the signed-in user's id.
const USER_ID_KEY: &str = "user_id";

/// How many argon2 hashes may run at once: one per core. Each takes tens of milliseconds of CPU
/// and 19 MiB of memory, so a flood of sign-ins must queue for a slot rather than take the machine.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
});

/// How long a request waits for a hashing slot before it is told to come back.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A slot to hash in; `Busy` when none came free in time.
async fn hashing_slot(
    slots: &'static tokio::sync::Semaphore,
    wait: std::time::Duration,
) -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    match tokio::time::timeout(wait, slots.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_closed)) => Err(AppError::Internal),
        Err(_elapsed) => {
            tracing::warn!("every password-hashing slot stayed busy: a sign-in was turned away");
            Err(AppError::Busy)
        }
    }
}

/// Hashes a new password with argon2id (OWASP's recommended parameters are the crate defaults) off the
/// async runtime, since a hash takes tens of milliseconds of CPU.
pub async fn hash_password(password: NewPassword) -> Result<String, AppError> {
    let _slot = hashing_slot(&HASHING, HASHING_WAIT).await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "password hashing task failed");
        AppError::Internal
    })?
    .map_err(|error| {
        tracing::error!(%error, "password hashing failed");
        AppError::Internal
    })
}

/// A hash to verify against when the email is unknown, so that a miss costs as long as a wrong password
/// and response times do not reveal which emails have accounts.
static DECOY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(Uuid::new_v4().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .ok()
});

/// Checks a sign-in attempt; `stored` is `None` when no user has that email. `Busy` when no
/// hashing slot came free in time.
pub async fn verify_password(candidate: String, stored: Option<String>) -> Result<bool, AppError> {
    let known = stored.is_some();
    let _slot = hashing_slot(&HASHING, HASHING_WAIT).await?;
    Ok(tokio::task::spawn_blocking(move || {
        let Some(hash) = stored.or_else(|| DECOY_HASH.clone()) else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            tracing::error!("a stored password hash could not be parsed");
            return false;
        };
        Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false))
}

/// The session of the request being served.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "session layer missing");
        AppError::Internal
    })
}

/// Starts a fresh session for a user who just proved who they are. The id is rotated so a session id
/// planted before sign-in (session fixation) is worthless.
pub async fn sign_in_session(session: &Session, user_id: Uuid) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(session_error)
}

pub async fn end_session(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

fn session_error(error: tower_sessions::session::Error) -> AppError {
    tracing::error!(%error, "session store error");
    AppError::Internal
}

/// The signed-in member, or `None` for a visitor.
pub async fn current_member(state: &AppState) -> Result<Option<Member>, AppError> {
    member_of_session(state, &session().await?).await
}

/// The member a session is signed in as (for handlers outside server functions, which get the
/// session from axum rather than the Leptos context).
pub async fn member_of_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<Member>, AppError> {
    let Some(user_id) = session
        .get::<Uuid>(USER_ID_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let member = accounts::find_member(&state.db, user_id).await?;
    if member.is_none() {
        // The user was deleted while signed in: the session is worth nothing now.
        end_session(session).await?;
    }
    Ok(member)
}

/// The signed-in member; visitors get `Unauthenticated`.
pub async fn require_member(state: &AppState) -> Result<Member, AppError> {
    current_member(state)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// A signed-in owner or admin; agents get `Forbidden`.
pub async fn require_manager(state: &AppState) -> Result<Member, AppError> {
    let member = require_member(state).await?;
    if member.role.can_manage() {
        Ok(member)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A signed-in owner, who alone manages the team; admins and agents get `Forbidden`.
pub async fn require_owner(state: &AppState) -> Result<Member, AppError> {
    let member = require_member(state).await?;
    if member.role.can_manage_team() {
        Ok(member)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client of the request being served (behind a trusted proxy, the address it forwarded), as
/// rate limits key it.
pub async fn client() -> Result<ClientKey, AppError> {
    leptos_axum::extract::<axum::Extension<ClientIp>>()
        .await
        .map(|axum::Extension(client)| client.key())
        .map_err(|error| {
            tracing::error!(%error, "client address missing (the find_client layer)");
            AppError::Internal
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password(NewPassword::parse("correct horse battery").expect("valid"))
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert_eq!(
            verify_password("correct horse battery".into(), Some(hash.clone())).await,
            Ok(true)
        );
        assert_eq!(
            verify_password("correct horse batterY".into(), Some(hash)).await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_decoy_password() {
        assert_eq!(verify_password(String::new(), None).await, Ok(false));
        assert_eq!(
            verify_password("anything at all".into(), None).await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_fails_closed() {
        assert_eq!(
            verify_password("x".into(), Some("not a phc string".into())).await,
            Ok(false)
        );
    }

    #[tokio::test]
    async fn hashing_waits_for_a_free_slot_and_gives_up_busy() {
        use std::time::Duration;
        static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        let held = hashing_slot(&SLOTS, Duration::from_secs(5))
            .await
            .expect("the one slot");
        let waiting = tokio::spawn(hashing_slot(&SLOTS, Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        assert!(
            waiting.await.expect("joined").is_ok(),
            "a slot freed in time is taken"
        );
        let _held = hashing_slot(&SLOTS, Duration::from_secs(5))
            .await
            .expect("free again");
        assert_eq!(
            hashing_slot(&SLOTS, Duration::from_millis(50)).await.err(),
            Some(AppError::Busy)
        );
    }
}

//! The team: owners invite people with a link that works once, change roles and remove members; an
//! invitee opens the link, sees what they are joining, and joins with an email and a password.
use crate::domain::Role;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A point in time as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    /// RFC 3339, UTC, for `<time datetime>`.
    pub datetime: String,
    /// For people: "2 Dec 2026, 14:05 UTC".
    pub text: String,
}

/// A member as the team page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    pub joined: Moment,
    /// The viewer's own row: it cannot be changed or removed from here.
    pub is_you: bool,
}

/// An invite that still works. Holds no token: a link is shown once, when it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInviteView {
    pub id: Uuid,
    pub role: Role,
    /// Who made it, while they are still a member.
    pub created_by: Option<String>,
    pub created: Moment,
    pub expires: Moment,
}

/// The team page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub members: Vec<MemberView>,
    pub invites: Vec<PendingInviteView>,
}

/// A new invite link, the one time it is shown. `Debug` leaves the link out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInviteView {
    pub url: String,
    pub role: Role,
    pub expires: Moment,
}

impl fmt::Debug for CreatedInviteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedInviteView")
            .field("role", &self.role)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// What an invite link offers, shown before joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub workspace_name: String,
    pub role: Role,
    pub expires: Moment,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::Moment;
    use crate::domain::{InviteProblem, InviteToken, Role};
    use crate::error::AppError;
    use crate::server::repo::team::TeamError;
    use chrono::{DateTime, Utc};

    impl From<TeamError> for AppError {
        fn from(error: TeamError) -> Self {
            match error {
                TeamError::NotFound => AppError::NotFound,
                TeamError::LastOwner => AppError::Conflict(
                    "A workspace needs at least one owner. Make someone else an owner first."
                        .into(),
                ),
                TeamError::OwnMembership => AppError::Conflict(
                    "You can't change your own role or remove yourself. Another owner can.".into(),
                ),
                TeamError::InviteUsed => AppError::Conflict(
                    "This invite has already been used, so there is nothing to revoke. Remove the member instead."
                        .into(),
                ),
                TeamError::Db(error) => error.into(),
            }
        }
    }

    pub fn moment(at: DateTime<Utc>) -> Moment {
        Moment {
            datetime: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            text: at.format("%-d %b %Y, %H:%M UTC").to_string(),
        }
    }

    /// A role from a form's `role` field.
    pub fn role_field(input: &str) -> Result<Role, AppError> {
        input
            .parse()
            .map_err(|_| AppError::invalid("role", "Choose Owner, Admin or Agent."))
    }

    /// A token from a link; a mangled one is simply a link that doesn't work.
    pub fn token(input: &str) -> Result<InviteToken, AppError> {
        InviteToken::parse(input).map_err(|_| AppError::Invite(InviteProblem::Unknown))
    }
}

#[server(prefix = "/api", endpoint = "team_get")]
pub async fn get_team() -> Result<TeamView, AppError> {
    use crate::server::repo::team;
    use crate::server::{auth, state};
    use ssr::moment;
    state::respond(
        async {
            let state = state::app_state()?;
            let owner = auth::require_owner(&state).await?;
            let members = team::list_members(&state.db, owner.workspace_id)
                .await?
                .into_iter()
                .map(|m| MemberView {
                    is_you: m.user_id == owner.user_id,
                    user_id: m.user_id,
                    email: m.email,
                    role: m.role,
                    joined: moment(m.joined_at),
                })
                .collect();
            let invites = team::pending_invites(&state.db, owner.workspace_id)
                .await?
                .into_iter()
                .map(|i| PendingInviteView {
                    id: i.id,
                    role: i.role,
                    created_by: i.created_by,
                    created: moment(i.created_at),
                    expires: moment(i.expires_at),
                })
                .collect();
            Ok(TeamView { members, invites })
        }
        .await,
    )
}

/// Makes an invite link for an agent or an admin; the link is in the answer, and nowhere else.
#[server(prefix = "/api", endpoint = "team_invite")]
pub async fn create_invite(role: String) -> Result<CreatedInviteView, AppError> {
    use crate::server::repo::team;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let owner = auth::require_owner(&state).await?;
            let role = ssr::role_field(&role)?;
            if !Role::INVITABLE.contains(&role) {
                return Err(AppError::invalid(
                    "role",
                    "Invite people as an agent or an admin. You can make them an owner after they join.",
                ));
            }
            let invite =
                team::create_invite(&state.db, owner.workspace_id, owner.user_id, role).await?;
            tracing::info!(invite_id = %invite.id, role = role.as_str(), "invite created");
            Ok(CreatedInviteView {
                url: state
                    .config
                    .public_url(&format!("/invite/{}", invite.token.expose())),
                role,
                expires: ssr::moment(invite.expires_at),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team_revoke_invite")]
pub async fn revoke_invite(id: Uuid) -> Result<(), AppError> {
    use crate::server::repo::team;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let owner = auth::require_owner(&state).await?;
            team::revoke_invite(&state.db, owner.workspace_id, id).await?;
            tracing::info!(invite_id = %id, "invite revoked");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team_set_role")]
pub async fn set_member_role(user_id: Uuid, role: String) -> Result<(), AppError> {
    use crate::server::repo::team;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let owner = auth::require_owner(&state).await?;
            let role = ssr::role_field(&role)?;
            team::set_role(&state.db, owner.workspace_id, owner.user_id, user_id, role).await?;
            tracing::info!(%user_id, role = role.as_str(), "member's role changed");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "team_remove_member")]
pub async fn remove_member(user_id: Uuid) -> Result<(), AppError> {
    use crate::server::repo::team;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let owner = auth::require_owner(&state).await?;
            team::remove_member(&state.db, owner.workspace_id, owner.user_id, user_id).await?;
            tracing::info!(%user_id, "member removed");
            Ok(())
        }
        .await,
    )
}

/// What an invite link offers, for anyone holding it (no sign-in), or why it doesn't work.
#[server(prefix = "/api", endpoint = "invite_get")]
pub async fn get_invite(token: String) -> Result<InviteView, AppError> {
    use crate::server::repo::team;
    use crate::server::state;
    state::respond(
        async {
            let state = state::app_state()?;
            let token = ssr::token(&token)?;
            let invite = team::find_invite(&state.db, &token)
                .await?
                .map_err(AppError::Invite)?;
            Ok(InviteView {
                workspace_name: invite.workspace_name,
                role: invite.role,
                expires: ssr::moment(invite.expires_at),
            })
        }
        .await,
    )
}

/// Mails a link that joins the invite's workspace when opened (the new member is then signed in;
/// agents land in the inbox). An address that has an account gets a mail saying so instead, and
/// the answer here is the same either way.
#[server(prefix = "/api", endpoint = "invite_accept")]
pub async fn accept_invite(
    token: String,
    email: String,
    password: String,
) -> Result<crate::server_fns::auth::SignUpSent, AppError> {
    use crate::domain::{Email, NewPassword};
    use crate::server::repo::sign_ups::Purpose;
    use crate::server::repo::team;
    use crate::server::{sign_up, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let token = ssr::token(&token)?;
            let email = Email::parse(&email).map_err(|e| AppError::invalid("email", e.0))?;
            let password =
                NewPassword::parse(&password).map_err(|e| AppError::invalid("password", e.0))?;
            // A dead link says so now rather than in a mail; opening the mailed link checks again,
            // atomically, as it joins.
            team::find_invite(&state.db, &token)
                .await?
                .map_err(AppError::Invite)?;
            sign_up::mail_link(&state, &email, password, Purpose::JoinInvite(&token)).await?;
            Ok(crate::server_fns::auth::SignUpSent {
                email: email.as_str().to_owned(),
                local_mailbox: state.mailer.local().is_some(),
            })
        }
        .await,
    )
}

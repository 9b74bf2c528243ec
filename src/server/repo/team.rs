//! The team of a workspace: its members, and the invite links that add more. Every query takes the
//! workspace id, except the two an invitee makes before they belong anywhere, which find the
//! invite by its token's hash.
use super::accounts::{Member, parse_stored};
use super::{WriteTransaction, begin_write, is_unique_violation};
use crate::domain::{InviteProblem, InviteToken, Role};
use crate::server::entities::{conversation, invite, user, workspace};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

/// How long an invite link works after it is made.
pub const INVITE_LIFETIME: Duration = Duration::days(7);

/// A member of the workspace as the team page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub user_id: Uuid,
    pub email: String,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// A new invite. The token exists only here: the database holds its hash.
#[derive(Debug, Clone)]
pub struct CreatedInvite {
    pub id: Uuid,
    pub token: InviteToken,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// An invite that can still be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvite {
    pub id: Uuid,
    pub role: Role,
    /// The email of whoever made it, while they are still a member.
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the invitee sees before joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteInfo {
    pub workspace_name: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Why a change to the team was refused.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("no such member or invite in this workspace")]
    NotFound,
    #[error("the change would leave the workspace without an owner")]
    LastOwner,
    #[error("members cannot change their own role or remove themselves")]
    OwnMembership,
    #[error("the invite was already used")]
    InviteUsed,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Why joining with an invite failed.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("the invite cannot be used ({0:?})")]
    Invite(InviteProblem),
    #[error("an account with that email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Whether an invite can still be accepted at `now`; a used link says so before anything else.
fn usable(invite: &invite::Model, now: DateTime<Utc>) -> Result<(), InviteProblem> {
    if invite.used_at.is_some() {
        Err(InviteProblem::Used)
    } else if invite.revoked_at.is_some() {
        Err(InviteProblem::Revoked)
    } else if invite.expires_at <= now {
        Err(InviteProblem::Expired)
    } else {
        Ok(())
    }
}

/// Makes an invite link for `role` that works once within [`INVITE_LIFETIME`].
#[tracing::instrument(skip_all, fields(%workspace_id))]
pub async fn create_invite(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    created_by: Uuid,
    role: Role,
) -> Result<CreatedInvite, DbErr> {
    let token = InviteToken::generate();
    let now = Utc::now();
    let expires_at = now + INVITE_LIFETIME;
    let id = Uuid::new_v4();
    invite::ActiveModel {
        id: Set(id),
        workspace_id: Set(workspace_id),
        token_hash: Set(token.hash_hex()),
        role: Set(role.as_str().to_owned()),
        created_by: Set(created_by),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        used_at: Set(None),
        used_by: Set(None),
    }
    .insert(db)
    .await?;
    Ok(CreatedInvite {
        id,
        token,
        role,
        expires_at,
    })
}

/// The workspace's invites that are neither used, revoked nor expired, oldest first.
pub async fn pending_invites(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<Vec<PendingInvite>, DbErr> {
    let invites = invite::Entity::find()
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .filter(invite::Column::UsedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(Utc::now()))
        .order_by_asc(invite::Column::CreatedAt)
        .order_by_asc(invite::Column::Id)
        .all(db)
        .await?;
    if invites.is_empty() {
        return Ok(Vec::new());
    }
    let creators: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .filter(user::Column::Id.is_in(invites.iter().map(|i| i.created_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    invites
        .into_iter()
        .map(|i| {
            Ok(PendingInvite {
                id: i.id,
                role: parse_stored(&i.role)?,
                created_by: creators.get(&i.created_by).cloned(),
                created_at: i.created_at,
                expires_at: i.expires_at,
            })
        })
        .collect()
}

/// Revokes an unused invite of the workspace. Revoking twice changes nothing; another workspace's
/// invite is not found.
#[tracing::instrument(skip_all, fields(%workspace_id, %id))]
pub async fn revoke_invite(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<(), TeamError> {
    let revoked = invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(invite::Column::Id.eq(id))
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .filter(invite::Column::UsedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if revoked.rows_affected == 1 {
        return Ok(());
    }
    match invite::Entity::find_by_id(id)
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
    {
        None => Err(TeamError::NotFound),
        Some(invite) if invite.used_at.is_some() => Err(TeamError::InviteUsed),
        Some(_) => Ok(()),
    }
}

/// The workspace's members in the order they joined.
pub async fn list_members(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<Vec<TeamMember>, DbErr> {
    user::Entity::find()
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            Ok(TeamMember {
                user_id: u.id,
                email: u.email,
                role: parse_stored(&u.role)?,
                joined_at: u.created_at,
            })
        })
        .collect()
}

/// Takes the workspace row's lock (PostgreSQL; SQLite's write gate already serialises writers), so
/// two owners demoting or removing each other at once cannot both pass the last-owner check.
async fn lock_workspace(txn: &WriteTransaction, workspace_id: Uuid) -> Result<(), TeamError> {
    workspace::Entity::find_by_id(workspace_id)
        .lock_exclusive()
        .one(&**txn)
        .await?
        .ok_or(TeamError::NotFound)
        .map(|_| ())
}

/// Another member of the workspace (`actor` is who asks), with their current role.
async fn other_member(
    txn: &WriteTransaction,
    workspace_id: Uuid,
    actor: Uuid,
    target: Uuid,
) -> Result<Role, TeamError> {
    let member = user::Entity::find_by_id(target)
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .one(&**txn)
        .await?
        .ok_or(TeamError::NotFound)?;
    if member.id == actor {
        return Err(TeamError::OwnMembership);
    }
    Ok(parse_stored(&member.role)?)
}

async fn owner_count(db: &impl ConnectionTrait, workspace_id: Uuid) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .filter(user::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await
}

/// Gives another member of the workspace a new role; the workspace always keeps an owner.
#[tracing::instrument(skip_all, fields(%workspace_id, %target, role = role.as_str()))]
pub async fn set_role(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    actor: Uuid,
    target: Uuid,
    role: Role,
) -> Result<(), TeamError> {
    let txn = begin_write(db).await?;
    lock_workspace(&txn, workspace_id).await?;
    let current = other_member(&txn, workspace_id, actor, target).await?;
    if current == Role::Owner && role != Role::Owner && owner_count(&*txn, workspace_id).await? <= 1
    {
        return Err(TeamError::LastOwner);
    }
    user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(role.as_str()))
        .filter(user::Column::Id.eq(target))
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes another member from the workspace, and revokes the invite links they made that are still
/// open. Their sessions end at their next request (the session's user is gone).
#[tracing::instrument(skip_all, fields(%workspace_id, %target))]
pub async fn remove_member(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    actor: Uuid,
    target: Uuid,
) -> Result<(), TeamError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    lock_workspace(&txn, workspace_id).await?;
    let current = other_member(&txn, workspace_id, actor, target).await?;
    if current == Role::Owner && owner_count(&*txn, workspace_id).await? <= 1 {
        return Err(TeamError::LastOwner);
    }
    invite::Entity::update_many()
        .col_expr(invite::Column::RevokedAt, Expr::value(now))
        .filter(invite::Column::WorkspaceId.eq(workspace_id))
        .filter(invite::Column::CreatedBy.eq(target))
        .filter(invite::Column::UsedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    // What they held goes back to the team: a conversation they were answering needs a person again.
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::Status,
            Expr::cust("CASE WHEN status = 'human' THEN 'needs_human' ELSE status END"),
        )
        .col_expr(
            conversation::Column::AssigneeId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(conversation::Column::WorkspaceId.eq(workspace_id))
        .filter(conversation::Column::AssigneeId.eq(target))
        .exec(&*txn)
        .await?;
    user::Entity::delete_many()
        .filter(user::Column::Id.eq(target))
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The workspace and role an invite link offers, or why it no longer works.
pub async fn find_invite(
    db: &DatabaseConnection,
    token: &InviteToken,
) -> Result<Result<InviteInfo, InviteProblem>, DbErr> {
    let found = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(token.hash_hex()))
        .find_also_related(workspace::Entity)
        .one(db)
        .await?;
    let Some((invite, Some(workspace))) = found else {
        return Ok(Err(InviteProblem::Unknown));
    };
    if let Err(problem) = usable(&invite, Utc::now()) {
        return Ok(Err(problem));
    }
    Ok(Ok(InviteInfo {
        workspace_name: workspace.name,
        role: parse_stored(&invite.role)?,
        expires_at: invite.expires_at,
    }))
}

/// Joins the invite's workspace with its role, inside `txn` (the caller commits): the invite is
/// claimed by a conditional update that only one caller can win (so a link works once, however
/// many confirm at the same moment), then the user is inserted. On an error the caller rolls back,
/// and the link still works.
#[tracing::instrument(skip_all)]
pub(super) async fn join_in(
    txn: &impl ConnectionTrait,
    invite_token_hash: &str,
    email: &str,
    password_hash: String,
) -> Result<Member, AcceptError> {
    let now = Utc::now();
    let user_id = Uuid::new_v4();
    let claimed = invite::Entity::update_many()
        .col_expr(invite::Column::UsedAt, Expr::value(now))
        .col_expr(invite::Column::UsedBy, Expr::value(user_id))
        .filter(invite::Column::TokenHash.eq(invite_token_hash))
        .filter(invite::Column::UsedAt.is_null())
        .filter(invite::Column::RevokedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .exec(txn)
        .await?;
    let found = invite::Entity::find()
        .filter(invite::Column::TokenHash.eq(invite_token_hash))
        .find_also_related(workspace::Entity)
        .one(txn)
        .await?;
    let Some((invite, Some(workspace))) = found else {
        return Err(AcceptError::Invite(InviteProblem::Unknown));
    };
    if claimed.rows_affected != 1 {
        // Lost to another accept, or not usable in the first place: say which.
        let problem = usable(&invite, now).err().unwrap_or(InviteProblem::Used);
        return Err(AcceptError::Invite(problem));
    }
    let role: Role = parse_stored(&invite.role)?;
    let plan = parse_stored(&workspace.plan)?;
    let inserted = user::ActiveModel {
        id: Set(user_id),
        workspace_id: Set(invite.workspace_id),
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Err(AcceptError::EmailTaken),
        Err(error) => return Err(error.into()),
    }
    tracing::info!(%user_id, workspace_id = %invite.workspace_id, invite_id = %invite.id, "invite accepted");
    Ok(Member {
        user_id,
        workspace_id: invite.workspace_id,
        email: email.to_owned(),
        role,
        workspace_name: workspace.name,
        plan,
    })
}

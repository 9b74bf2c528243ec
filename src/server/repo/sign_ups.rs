//! Sign-ups waiting for their address to be confirmed: a new workspace's owner, or a new member
//! joining by an invite. The form stores a request and mails its link; opening the link turns the
//! request into the account, in one transaction. Only the SHA-256 of the link's token is stored.
use super::accounts::{self, CreateAccountError, Member};
use super::begin_write;
use super::team::{self, AcceptError};
use crate::domain::{Email, InviteProblem, InviteToken, Plan, SignUpToken, WorkspaceName};
use crate::server::entities::sign_up_request;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

/// How long a confirmation link works.
pub const LINK_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What opening the link does.
pub enum Purpose<'a> {
    /// Makes a workspace with this name, the new account its owner.
    NewWorkspace(&'a WorkspaceName),
    /// Joins the workspace of this invite, with its role.
    JoinInvite(&'a InviteToken),
}

/// Why a confirmation link made no account.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// No request has this token: never made, already used, or expired.
    #[error("the sign-up link is unknown, used or expired")]
    Unusable,
    /// The address got an account after the link was sent (through another link, or an invite).
    #[error("an account with that email already exists")]
    EmailTaken,
    /// The invite the request joins by stopped working meanwhile (used, revoked, expired).
    #[error("the invite cannot be used ({0:?})")]
    Invite(InviteProblem),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Keeps a sign-up until its link is opened (or for [`LINK_LIFETIME`]), and forgets the requests
/// that have expired.
#[tracing::instrument(skip_all)]
pub async fn request(
    db: &DatabaseConnection,
    token: &SignUpToken,
    purpose: Purpose<'_>,
    email: &Email,
    password_hash: String,
) -> Result<(), DbErr> {
    let now = chrono::Utc::now();
    let (workspace_name, invite_token_hash) = match purpose {
        Purpose::NewWorkspace(name) => (Some(name.as_str().to_owned()), None),
        Purpose::JoinInvite(invite) => (None, Some(invite.hash_hex())),
    };
    let txn = begin_write(db).await?;
    sign_up_request::Entity::delete_many()
        .filter(sign_up_request::Column::ExpiresAt.lte(now))
        .exec(&*txn)
        .await?;
    sign_up_request::ActiveModel {
        token_hash: Set(token.hash_hex()),
        email: Set(email.as_str().to_owned()),
        workspace_name: Set(workspace_name),
        invite_token_hash: Set(invite_token_hash),
        password_hash: Set(password_hash),
        created_at: Set(now),
        expires_at: Set(now + LINK_LIFETIME),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await
}

/// Opens a confirmation link: the request it names becomes the account (a workspace and its owner
/// on `plan`, or a member of the invite's workspace), in one transaction, and the link (with any
/// other pending link for the same address) stops working.
#[tracing::instrument(skip_all)]
pub async fn confirm(
    db: &DatabaseConnection,
    token: &SignUpToken,
    plan: Plan,
) -> Result<Member, ConfirmError> {
    let now = chrono::Utc::now();
    let token_hash = token.hash_hex();
    let txn = begin_write(db).await?;
    let request = sign_up_request::Entity::find_by_id(token_hash.as_str())
        .one(&*txn)
        .await?
        .ok_or(ConfirmError::Unusable)?;
    // Claimed by deleting it: of two confirmations at once, the second deletes nothing.
    let claimed = sign_up_request::Entity::delete_many()
        .filter(sign_up_request::Column::TokenHash.eq(token_hash.as_str()))
        .exec(&*txn)
        .await?;
    if claimed.rows_affected != 1 || request.expires_at <= now {
        txn.commit().await?;
        return Err(ConfirmError::Unusable);
    }
    let made = match (&request.workspace_name, &request.invite_token_hash) {
        (_, Some(invite)) => team::join_in(&*txn, invite, &request.email, request.password_hash)
            .await
            .map_err(|error| match error {
                AcceptError::Invite(problem) => ConfirmError::Invite(problem),
                AcceptError::EmailTaken => ConfirmError::EmailTaken,
                AcceptError::Db(error) => ConfirmError::Db(error),
            }),
        (Some(name), None) => accounts::insert_workspace_with_owner(
            &*txn,
            name,
            &request.email,
            request.password_hash,
            plan,
        )
        .await
        .map_err(|error| match error {
            CreateAccountError::EmailTaken => ConfirmError::EmailTaken,
            CreateAccountError::Db(error) => ConfirmError::Db(error),
        }),
        (None, None) => Err(ConfirmError::Db(DbErr::Type(
            "a sign-up request with neither a workspace nor an invite".to_owned(),
        ))),
    };
    let member = match made {
        Ok(member) => member,
        Err(ConfirmError::EmailTaken) => {
            drop(txn);
            // The address has an account: this link can never work, so it goes.
            forget(db, &token_hash).await?;
            return Err(ConfirmError::EmailTaken);
        }
        Err(ConfirmError::Invite(problem)) => {
            drop(txn);
            forget(db, &token_hash).await?;
            return Err(ConfirmError::Invite(problem));
        }
        Err(error) => return Err(error),
    };
    sign_up_request::Entity::delete_many()
        .filter(sign_up_request::Column::Email.eq(request.email.as_str()))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(member)
}

async fn forget(db: &DatabaseConnection, token_hash: &str) -> Result<(), DbErr> {
    sign_up_request::Entity::delete_many()
        .filter(sign_up_request::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await
        .map(|_| ())
}

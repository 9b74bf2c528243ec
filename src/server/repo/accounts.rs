//! Workspaces and their members.
use super::is_unique_violation;
use crate::domain::sms_text::DailySegmentBudget;
use crate::domain::{Email, Plan, Role, WorkspaceName};
use crate::server::entities::{user, workspace};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};
use uuid::Uuid;

/// A signed-in user as every authorised query needs them: who, in which workspace, allowed to do what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub role: Role,
    pub workspace_name: String,
    pub plan: Plan,
}

/// A new workspace's daily SMS segment budget.
pub fn default_daily_budget() -> i32 {
    i32::try_from(DailySegmentBudget::DEFAULT.get()).unwrap_or(i32::MAX)
}

/// Whether an account already signs in with `email`.
pub async fn email_has_account(db: &DatabaseConnection, email: &Email) -> Result<bool, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// Why no owner was added.
#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("an account with that email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates a workspace and its owner in one transaction, with no address to confirm: for seeding
/// (the benchmarks). People sign up through a confirmed request (`sign_ups`).
pub async fn create_workspace_with_owner(
    db: &DatabaseConnection,
    workspace_name: &WorkspaceName,
    email: &Email,
    password_hash: String,
    plan: Plan,
) -> Result<Member, CreateAccountError> {
    let txn = super::begin_write(db).await?;
    let member = insert_workspace_with_owner(
        &*txn,
        workspace_name.as_str(),
        email.as_str(),
        password_hash,
        plan,
    )
    .await?;
    txn.commit().await?;
    Ok(member)
}

/// Adds a workspace and its owner inside `txn` (the caller commits).
pub(super) async fn insert_workspace_with_owner(
    txn: &impl ConnectionTrait,
    workspace_name: &str,
    email: &str,
    password_hash: String,
    plan: Plan,
) -> Result<Member, CreateAccountError> {
    let now = chrono::Utc::now();
    let workspace_id = Uuid::new_v4();
    let user_id = Uuid::new_v4();
    workspace::ActiveModel {
        id: Set(workspace_id),
        name: Set(workspace_name.to_owned()),
        plan: Set(plan.as_str().to_owned()),
        created_at: Set(now),
        // Set here rather than left to the column's default: sea-orm may build the returned model
        // from these values, and a field left unset failed the sign-up on SQLite now and then.
        daily_segment_budget: Set(default_daily_budget()),
    }
    .insert(txn)
    .await?;
    let inserted = user::ActiveModel {
        id: Set(user_id),
        workspace_id: Set(workspace_id),
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        role: Set(Role::Owner.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Err(CreateAccountError::EmailTaken),
        Err(error) => return Err(error.into()),
    }
    Ok(Member {
        user_id,
        workspace_id,
        email: email.to_owned(),
        role: Role::Owner,
        workspace_name: workspace_name.to_owned(),
        plan,
    })
}

/// The user id and password hash for a sign-in attempt.
pub async fn find_credentials(
    db: &DatabaseConnection,
    email: &Email,
) -> Result<Option<(Uuid, String)>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .map(|user| (user.id, user.password_hash)))
}

/// The member a session belongs to, or `None` if the user has since been removed.
pub async fn find_member(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<Member>, DbErr> {
    let Some((user, Some(workspace))) = user::Entity::find_by_id(user_id)
        .find_also_related(workspace::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Member {
        user_id: user.id,
        workspace_id: workspace.id,
        email: user.email,
        role: parse_stored(&user.role)?,
        workspace_name: workspace.name,
        plan: parse_stored(&workspace.plan)?,
    }))
}

/// Finds a workspace by its id or by the email of one of its members (operator commands accept both).
pub async fn find_workspace(
    db: &DatabaseConnection,
    id_or_member_email: &str,
) -> Result<Option<workspace::Model>, DbErr> {
    if let Ok(id) = Uuid::parse_str(id_or_member_email.trim()) {
        return workspace::Entity::find_by_id(id).one(db).await;
    }
    let Ok(email) = Email::parse(id_or_member_email) else {
        return Ok(None);
    };
    let Some(user) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    workspace::Entity::find_by_id(user.workspace_id)
        .one(db)
        .await
}

pub async fn set_plan(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    plan: Plan,
) -> Result<(), DbErr> {
    // One column by statement: an ActiveModel update with the other fields unset can fail on
    // SQLite ("Missing value for column") when sea-orm rebuilds the model from the row.
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::Plan,
            sea_orm::sea_query::Expr::value(plan.as_str()),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Changes a member's role; an operator command until workspaces can invite members themselves.
pub async fn set_role(db: &DatabaseConnection, email: &Email, role: Role) -> Result<bool, DbErr> {
    let result = user::Entity::update_many()
        .col_expr(
            user::Column::Role,
            sea_orm::sea_query::Expr::value(role.as_str()),
        )
        .filter(user::Column::Email.eq(email.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A stored enum name (role, plan) back as its type; anything else is a corrupt row.
pub(super) fn parse_stored<T: std::str::FromStr>(value: &str) -> Result<T, DbErr> {
    value
        .parse()
        .map_err(|_| DbErr::Type(format!("unexpected stored value {value:?}")))
}

//! Chatbots of one workspace.
use crate::domain::{ChatbotName, SystemPrompt};
use crate::server::entities::chatbot;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

pub async fn list(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<Vec<chatbot::Model>, DbErr> {
    chatbot::Entity::find()
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(chatbot::Column::Name)
        .order_by_asc(chatbot::Column::Id)
        .all(db)
        .await
}

pub async fn find(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Option<chatbot::Model>, DbErr> {
    chatbot::Entity::find_by_id(id)
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await
}

pub async fn create(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    name: &ChatbotName,
    system_prompt: &SystemPrompt,
) -> Result<chatbot::Model, DbErr> {
    let now = chrono::Utc::now();
    chatbot::ActiveModel {
        id: Set(Uuid::new_v4()),
        workspace_id: Set(workspace_id),
        name: Set(name.as_str().to_owned()),
        system_prompt: Set(system_prompt.as_str().to_owned()),
        reply_segments: Set(i32::from(
            crate::domain::knowledge::SegmentBudget::DEFAULT.get(),
        )),
        widget_origins: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

/// Renames and re-prompts a chatbot; `false` when no such chatbot exists in the workspace.
pub async fn update(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
    name: &ChatbotName,
    system_prompt: &SystemPrompt,
) -> Result<bool, DbErr> {
    let result = chatbot::Entity::update_many()
        .col_expr(
            chatbot::Column::Name,
            sea_orm::sea_query::Expr::value(name.as_str()),
        )
        .col_expr(
            chatbot::Column::SystemPrompt,
            sea_orm::sea_query::Expr::value(system_prompt.as_str()),
        )
        .col_expr(
            chatbot::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(chatbot::Column::Id.eq(id))
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets how many SMS segments a reply of the chatbot may use; `false` when there is no such chatbot.
pub async fn set_reply_segments(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
    budget: crate::domain::knowledge::SegmentBudget,
) -> Result<bool, DbErr> {
    let result = chatbot::Entity::update_many()
        .col_expr(
            chatbot::Column::ReplySegments,
            sea_orm::sea_query::Expr::value(i32::from(budget.get())),
        )
        .filter(chatbot::Column::Id.eq(id))
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sets the website origins allowed to embed the chatbot's widget; `false` when there is no such
/// chatbot.
pub async fn set_widget_origins(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
    origins: &crate::domain::widget::AllowedOrigins,
) -> Result<bool, DbErr> {
    let result = chatbot::Entity::update_many()
        .col_expr(
            chatbot::Column::WidgetOrigins,
            sea_orm::sea_query::Expr::value(origins.to_stored()),
        )
        .filter(chatbot::Column::Id.eq(id))
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes a chatbot; `false` when no such chatbot exists in the workspace.
pub async fn delete(db: &DatabaseConnection, workspace_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let result = chatbot::Entity::delete_many()
        .filter(chatbot::Column::Id.eq(id))
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

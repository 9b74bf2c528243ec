use sea_orm::entity::prelude::*;

/// A sign-up waiting for its address to be confirmed. Holds the link token's hash and the password's
/// argon2 hash; `Debug` leaves both out.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_up_requests")]
pub struct Model {
    /// Lower-case hex SHA-256 of the link's token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub email: String,
    /// The new workspace's name, when the request makes one.
    pub workspace_name: Option<String>,
    /// The hash of the invite whose workspace the request joins, when it joins one.
    pub invite_token_hash: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpRequest")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

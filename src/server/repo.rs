//! Queries, one module per aggregate. Every function that reads or writes workspace data takes the
//! caller's workspace id and filters on it, so another workspace's ids simply are not found.
pub mod accounts;
pub mod chatbots;
pub mod conversations;
pub mod sms;

use sea_orm::{DbErr, SqlErr};

/// True when the database refused a write because a unique key already holds the value.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

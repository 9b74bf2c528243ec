//! Viesti's schema, one file per change, applied at start by `viesti serve` and `viesti migrate`.
pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_accounts;
mod m20261124_000002_create_twilio_connections;
mod m20261125_000003_create_conversations;
mod m20261125_000004_inbox;
mod m20261125_000005_create_invites;
mod m20261125_000006_inbox_indexes;
mod m20261130_000007_create_knowledge;
mod m20261201_000008_widget;
mod m20261202_000009_passage_index_in_memory;
mod m20261203_000010_job_claim_indexes;
mod m20261204_000011_message_error_link;
mod m20261204_000012_connection_trial;
mod m20261204_000013_segment_budget;
mod m20261205_000014_fair_turns;
mod m20261206_000015_hashed_session_ids;
mod m20261207_000016_sign_up_requests;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_accounts::Migration),
            Box::new(m20261124_000002_create_twilio_connections::Migration),
            Box::new(m20261125_000003_create_conversations::Migration),
            Box::new(m20261125_000004_inbox::Migration),
            Box::new(m20261125_000005_create_invites::Migration),
            Box::new(m20261125_000006_inbox_indexes::Migration),
            Box::new(m20261130_000007_create_knowledge::Migration),
            Box::new(m20261201_000008_widget::Migration),
            Box::new(m20261202_000009_passage_index_in_memory::Migration),
            Box::new(m20261203_000010_job_claim_indexes::Migration),
            Box::new(m20261204_000011_message_error_link::Migration),
            Box::new(m20261204_000012_connection_trial::Migration),
            Box::new(m20261204_000013_segment_budget::Migration),
            Box::new(m20261205_000014_fair_turns::Migration),
            Box::new(m20261206_000015_hashed_session_ids::Migration),
            Box::new(m20261207_000016_sign_up_requests::Migration),
        ]
    }
}

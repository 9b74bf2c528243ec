//! Operator commands run from the shell (`viesti set-plan`, `viesti set-role`).
use crate::domain::{Email, Plan, Role};
use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::repo::{accounts, sms};
use anyhow::{Context, bail};
use sea_orm::DatabaseConnection;

/// Moves a workspace (by id, or by any member's email) to another plan.
pub async fn set_plan(
    db: &DatabaseConnection,
    workspace: &str,
    plan: Plan,
) -> anyhow::Result<String> {
    let Some(found) = accounts::find_workspace(db, workspace).await? else {
        bail!("no workspace has the id or a member with the email {workspace:?}");
    };
    accounts::set_plan(db, found.id, plan)
        .await
        .context("could not change the plan")?;
    Ok(format!(
        "workspace {} ({}) is now on the {} plan (was {})",
        found.name,
        found.id,
        plan.label(),
        found.plan
    ))
}

/// Gives a member another role in their workspace.
pub async fn set_role(db: &DatabaseConnection, email: &str, role: Role) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !accounts::set_role(db, &email, role).await? {
        bail!("no user has the email {email}");
    }
    Ok(format!("{email} is now {}", role.label()))
}

/// Re-seals every stored Twilio credential under `VIESTI_ENCRYPTION_KEY`. Run it after moving the old
/// key to `VIESTI_ENCRYPTION_KEYS_OLD`; once it reports zero stale rows the old key can be dropped.
pub async fn rotate_keys(db: &DatabaseConnection, config: &Config) -> anyhow::Result<String> {
    let keyring = Keyring::new(&config.encryption_key, &config.old_encryption_keys);
    let changed = sms::reseal_all(db, &keyring)
        .await
        .context("could not re-encrypt the stored credentials")?;
    Ok(format!(
        "re-encrypted {changed} SMS connection(s) under key {}",
        keyring.current_key_id()
    ))
}

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

/// `viesti kb import`: adds files to a chatbot's knowledge base through the upload's code path
/// (a file whose name the base holds replaces that document), reads them, and reports each one.
/// Without `--knowledge-base` the chatbot's first base is used, or a new one is made and linked.
pub async fn kb_import(
    db: &DatabaseConnection,
    chatbot_id: uuid::Uuid,
    base_id: Option<uuid::Uuid>,
    files: &[std::path::PathBuf],
) -> anyhow::Result<String> {
    use crate::domain::knowledge::{KnowledgeBaseName, Language};
    use crate::server::entities::chatbot;
    use crate::server::knowledge::{add_file, ingest};
    use crate::server::repo::knowledge as repo;
    use sea_orm::EntityTrait;

    let Some(chatbot) = chatbot::Entity::find_by_id(chatbot_id).one(db).await? else {
        bail!("no chatbot has the id {chatbot_id}");
    };
    let workspace_id = chatbot.workspace_id;
    let linked = repo::bases_of_chatbot(db, workspace_id, chatbot.id).await?;
    let base = match base_id {
        Some(id) => {
            let Some(base) = repo::find_base(db, workspace_id, id).await? else {
                bail!("the chatbot's workspace has no knowledge base {id}");
            };
            if !linked.iter().any(|b| b.id == id) {
                let mut ids: Vec<_> = linked.iter().map(|b| b.id).collect();
                ids.push(id);
                repo::set_chatbot_bases(db, workspace_id, chatbot.id, &ids).await?;
            }
            base
        }
        None => match linked.into_iter().next() {
            Some(base) => base,
            None => {
                let name = format!("{} knowledge", chatbot.name);
                let name = KnowledgeBaseName::parse(&name.chars().take(80).collect::<String>())
                    .map_err(|e| anyhow::anyhow!(e.0))?;
                let base = repo::create_base(db, workspace_id, &name, Language::English).await?;
                repo::set_chatbot_bases(db, workspace_id, chatbot.id, &[base.id]).await?;
                base
            }
        },
    };
    let mut problems = Vec::new();
    let mut added = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let content = match std::fs::read(path) {
            Ok(content) => content,
            Err(error) => {
                problems.push(format!("{}: {error}", path.display()));
                continue;
            }
        };
        match add_file(db, workspace_id, base.id, &name, None, &content).await {
            Ok(document) => added.push(document.id),
            Err(error) => problems.push(error.to_string()),
        }
    }
    ingest::drain(db).await?;
    let mut lines = Vec::new();
    let mut ready = 0;
    for document in repo::documents(db, workspace_id, base.id).await? {
        if !added.contains(&document.id) {
            continue;
        }
        match document.state.as_str() {
            "ready" => {
                ready += 1;
                lines.push(format!(
                    "ready   {} ({} passages)",
                    document.title, document.passages
                ));
            }
            _ => problems.push(format!(
                "{}: {}",
                document.file_name.unwrap_or(document.title),
                document.error.unwrap_or_else(|| "not read".into())
            )),
        }
    }
    for problem in &problems {
        lines.push(format!("failed  {problem}"));
    }
    let summary = format!(
        "{} of {} files imported into knowledge base {:?} ({}) of chatbot {:?}",
        ready,
        files.len(),
        base.name,
        base.id,
        chatbot.name
    );
    lines.push(summary.clone());
    if problems.is_empty() {
        Ok(lines.join("\n"))
    } else {
        bail!("{}", lines.join("\n"))
    }
}

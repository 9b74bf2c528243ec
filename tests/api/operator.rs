//! The documented operator commands, run as the real binary against a test's database.
use crate::helpers::{Backend, TEST_ENCRYPTION_KEY, TestApp, json, spawn_app, unique_email};
use crate::on_both_databases;

/// Runs `viesti <args>` on the app's database and returns its stdout; panics if it fails.
pub async fn run_cli(app: &TestApp, args: &[&str]) -> String {
    let output = cli(app, args).await;
    assert!(
        output.status.success(),
        "viesti {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

pub async fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    cli_with(app, args, &[]).await
}

/// Runs `viesti <args>` with extra environment values (later ones win).
pub async fn cli_with(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_viesti"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("VIESTI_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
        .env("VIESTI_DATA_DIR", app.data_dir.path())
        .envs(env.iter().copied())
        .current_dir(app.data_dir.path())
        .output()
        .await
        .expect("run viesti")
}

async fn set_plan_moves_a_workspace_by_member_email_or_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    app.sign_up(&email).await;
    let said = run_cli(&app, &["set-plan", &email, "pro"]).await;
    assert!(
        said.contains("is now on the Pro plan (was starter)"),
        "{said}"
    );
    assert_eq!(json(app.call("me", &[]).await).await["plan"], "Pro");

    let row = app
        .count("SELECT COUNT(*) FROM workspaces WHERE plan = 'pro'")
        .await;
    assert_eq!(row, 1);
}

async fn set_plan_refuses_an_unknown_workspace_or_plan(backend: Backend) {
    let app = spawn_app(backend).await;
    let unknown = cli(&app, &["set-plan", "nobody@example.com", "pro"]).await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no workspace"));
    let email = unique_email();
    app.sign_up(&email).await;
    let bad_plan = cli(&app, &["set-plan", &email, "enterprise"]).await;
    assert!(!bad_plan.status.success());
    assert!(String::from_utf8_lossy(&bad_plan.stderr).contains("free, starter, pro"));
}

on_both_databases!(
    set_plan_moves_a_workspace_by_member_email_or_id,
    set_plan_refuses_an_unknown_workspace_or_plan,
);

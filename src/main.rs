//! The `viesti` command: serve the app (default), apply migrations, or run an operator command.
use clap::{Parser, Subcommand};
use leptos::config::get_configuration;
use secrecy::ExposeSecret;
use std::process::ExitCode;
use viesti::domain::{Plan, Role};
use viesti::server::config::Config;
use viesti::server::startup::{Application, connect_database, shutdown_signal};
use viesti::server::{operator, telemetry};

#[derive(Parser)]
#[command(
    version,
    about = "Viesti: your AI support chatbot, answering SMS from your own Twilio number"
)]
struct Cli {
    /// The run-time Leptos options (site address, site root, pkg dir); LEPTOS_* variables override them.
    #[arg(
        long,
        env = "VIESTI_LEPTOS_CONFIG",
        default_value = "Leptos.toml",
        global = true
    )]
    leptos_config: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the app (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Move a workspace to another plan: `viesti set-plan owner@example.com pro`.
    SetPlan {
        /// The workspace id, or the email of any of its members.
        workspace: String,
        /// free, starter or pro.
        plan: Plan,
    },
    /// Re-encrypt every stored Twilio credential under VIESTI_ENCRYPTION_KEY (after a key change, with
    /// the previous key in VIESTI_ENCRYPTION_KEYS_OLD).
    RotateKeys,
    /// Change a member's role: `viesti set-role agent@example.com agent`.
    SetRole {
        email: String,
        /// owner, admin or agent.
        role: Role,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let _sentry = config
        .sentry_dsn
        .as_ref()
        .map(|dsn| telemetry::init_sentry(dsn.expose_secret()));
    telemetry::init(config.sentry_dsn.is_some());

    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, &cli.leptos_config).await,
        Command::Migrate => connect_database(&config)
            .await
            .map(|_| "migrations applied".to_owned()),
        Command::SetPlan { workspace, plan } => match connect_database(&config).await {
            Ok(db) => operator::set_plan(&db, &workspace, plan).await,
            Err(error) => Err(error),
        },
        Command::RotateKeys => match connect_database(&config).await {
            Ok(db) => operator::rotate_keys(&db, &config).await,
            Err(error) => Err(error),
        },
        Command::SetRole { email, role } => match connect_database(&config).await {
            Ok(db) => operator::set_role(&db, &email, role).await,
            Err(error) => Err(error),
        },
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, leptos_config: &str) -> anyhow::Result<String> {
    let leptos_options = get_configuration(Some(leptos_config))
        .map_err(|e| anyhow::anyhow!("{leptos_config}: {e}"))?
        .leptos_options;
    let app = Application::build(config, leptos_options).await?;
    tracing::info!("listening on http://{}", app.local_addr()?);
    app.run_until(shutdown_signal()).await?;
    Ok("stopped".to_owned())
}

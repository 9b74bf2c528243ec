//! The `viesti` command: serve the app (default), apply migrations, or run an operator command.
use clap::{Parser, Subcommand};
use leptos::config::get_configuration;
use secrecy::ExposeSecret;
use std::process::ExitCode;
use viesti::domain::{Plan, Role};
use viesti::server::config::Config;
use viesti::server::startup::{Application, connect_database, connect_url, shutdown_signal};
use viesti::server::{operator, telemetry};

/// mimalloc: glibc's malloc took a sixth of the server's CPU on the webhook path under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Knowledge bases: bulk import, quality measurement.
    #[command(subcommand)]
    Kb(KbCommand),
}

#[derive(Subcommand)]
enum KbCommand {
    /// Add files (Markdown, text, HTML, PDF) to a chatbot's knowledge base, through the same code path
    /// as an upload; a file whose name the base already holds replaces that document.
    Import {
        /// The chatbot whose knowledge base gets the files.
        #[arg(long)]
        chatbot: uuid::Uuid,
        /// The knowledge base (default: the chatbot's first, or a new one linked to it).
        #[arg(long)]
        knowledge_base: Option<uuid::Uuid>,
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Measure retrieval and offline answers on a corpus (recall@3, MRR, pass rate, false answers).
    /// Needs no configuration: it uses a throw-away SQLite database unless given one.
    Quality {
        /// The corpus: `articles/` and `questions.toml`.
        #[arg(long, default_value = "eval")]
        dir: std::path::PathBuf,
        /// Measure on this (empty) database instead, e.g. a PostgreSQL one.
        #[arg(long)]
        database_url: Option<String>,
        /// Also list every question that missed.
        #[arg(long)]
        verbose: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Kb(KbCommand::Quality {
        dir,
        database_url,
        verbose,
    })) = &cli.command
    {
        return quality(dir, database_url.as_deref(), *verbose).await;
    }
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
        Command::Kb(KbCommand::Import {
            chatbot,
            knowledge_base,
            files,
        }) => match connect_database(&config).await {
            Ok(db) => operator::kb_import(&db, chatbot, knowledge_base, &files).await,
            Err(error) => Err(error),
        },
        Command::Kb(KbCommand::Quality { .. }) => Ok(String::new()),
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

/// `viesti kb quality`: imports the corpus into a fresh database and prints the measures.
async fn quality(dir: &std::path::Path, database_url: Option<&str>, verbose: bool) -> ExitCode {
    let scratch = std::env::temp_dir().join(format!("viesti-quality-{}", uuid::Uuid::new_v4()));
    let url = match database_url {
        Some(url) => url.to_owned(),
        None => {
            if let Err(error) = std::fs::create_dir_all(&scratch) {
                eprintln!("error: {}: {error}", scratch.display());
                return ExitCode::FAILURE;
            }
            format!("sqlite://{}?mode=rwc", scratch.join("quality.db").display())
        }
    };
    let measured = match connect_url(&url).await {
        Ok(db) => viesti::server::knowledge::quality::measure(&db, dir).await,
        Err(error) => Err(error),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    match measured {
        Ok(report) => {
            if verbose {
                for miss in &report.misses {
                    println!("{miss}");
                }
            }
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

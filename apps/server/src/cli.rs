//! Command line: `serve` (default), `migrate`, `openapi`, `backup FILE`,
//! `agent create|passwd|list`, `seed clientes N`.

use crate::config::Config;
use crate::state::Services;
use clap::{Parser, Subcommand};
use kernel::input::Input;
use kernel::{DomainError, PageRequest};
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(
    name = "dx-connect",
    version,
    about = "DX Connect — WhatsApp atendimento backend"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run migrations, seed the admin user and serve HTTP (default).
    Serve,
    /// Run database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON; --yaml for YAML).
    Openapi {
        #[arg(long)]
        yaml: bool,
    },
    /// Write a consistent copy of the SQLite database to FILE (safe while the server runs).
    Backup {
        /// Where to write the copy; must not exist yet.
        file: std::path::PathBuf,
    },
    /// Manage agents without a database shell.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Insert synthetic data in bulk (benchmarks, demos).
    #[command(subcommand)]
    Seed(crate::seed::SeedCommand),
}

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Create an agent.
    Create {
        username: String,
        /// Password (≥ 8 chars); read from DX_AGENT_PASSWORD when omitted.
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long)]
        superuser: bool,
    },
    /// Set an agent's password.
    Passwd {
        username: String,
        /// New password (≥ 8 chars); read from DX_AGENT_PASSWORD when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// List agents.
    List,
}

fn password(arg: Option<String>) -> Result<String, String> {
    arg.or_else(|| std::env::var("DX_AGENT_PASSWORD").ok())
        .ok_or_else(|| "give --password or set DX_AGENT_PASSWORD".to_string())
}

fn describe(e: DomainError) -> String {
    match e {
        DomainError::Validation(f) => f.to_json().to_string(),
        other => other.to_string(),
    }
}

pub async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let bind = config.bind.clone();
            let app = crate::Application::build(config)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(addr = %format!("{bind}:{}", app.port()), "listening");
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            let db = adapter_seaorm::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            adapter_seaorm::migrate(&db)
                .await
                .map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        Command::Openapi { yaml } => {
            if yaml {
                print!("{}", crate::openapi::yaml().map_err(|e| e.to_string())?);
            } else {
                println!(
                    "{}",
                    crate::openapi::json_text(true).map_err(|e| e.to_string())?
                );
            }
            Ok(())
        }
        Command::Backup { file } => {
            let db = adapter_seaorm::connect(&config.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let bytes = adapter_seaorm::backup(&db, &file)
                .await
                .map_err(|e| e.to_string())?;
            println!("backup written to {} ({bytes} bytes)", file.display());
            Ok(())
        }
        Command::Seed(cmd) => crate::seed::run(&config, cmd).await,
        Command::Agent(cmd) => {
            let state = Services::build(&config).await.map_err(describe)?;
            match cmd {
                AgentCommand::Create {
                    username,
                    password: p,
                    email,
                    display_name,
                    superuser,
                } => {
                    let mut m = Map::new();
                    m.insert("username".into(), Value::from(username));
                    m.insert("password".into(), Value::from(password(p)?));
                    m.insert("email".into(), Value::from(email));
                    m.insert("display_name".into(), Value::from(display_name));
                    m.insert("is_superuser".into(), Value::from(superuser));
                    // The same parsing as the HTTP body, so the CLI refuses what the API does.
                    let cmd = match crate::dto::authz::create_agent(&Input::json(m)) {
                        Ok(cmd) => cmd,
                        Err(bad) => {
                            let e = state
                                .agents
                                .invalid(None, bad.errors, bad.group_ids.as_deref())
                                .await;
                            return Err(describe(e));
                        }
                    };
                    let a = state.agents.create(cmd).await.map_err(describe)?;
                    println!("created agent {} (id {})", a.username, a.id);
                }
                AgentCommand::Passwd {
                    username,
                    password: p,
                } => {
                    let a = state
                        .agents
                        .set_password(&username, &password(p)?)
                        .await
                        .map_err(describe)?;
                    println!("password updated for {}", a.username);
                }
                AgentCommand::List => {
                    let mut page = 1;
                    loop {
                        let p = state
                            .agents
                            .list(PageRequest {
                                page: Some(page),
                                page_size: 100,
                            })
                            .await
                            .map_err(describe)?;
                        for a in &p.items {
                            println!(
                                "{}\t{}\t{}\t{}{}",
                                a.id,
                                a.username,
                                a.email,
                                if a.is_active { "active" } else { "inactive" },
                                if a.is_superuser { "\tsuperuser" } else { "" }
                            );
                        }
                        if !p.has_next() {
                            break;
                        }
                        page += 1;
                    }
                }
            }
            Ok(())
        }
    }
}

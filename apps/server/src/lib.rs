//! DX Connect server: configuration, wiring, HTTP routes, OpenAPI and CLI commands.

pub mod cli;
pub mod config;
pub mod dto;
pub mod http;
pub mod list_cache;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod state;

use actix_cors::Cors;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use config::Config;
use state::AppState;
use std::net::TcpListener;
use std::sync::Arc;

fn cors(config: &Config) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"])
        .allowed_headers([
            "accept",
            "accept-encoding",
            "authorization",
            "content-type",
            "dnt",
            "origin",
            "user-agent",
            "x-csrftoken",
            "x-requested-with",
        ])
        .expose_headers(["x-request-id"])
        .max_age(86_400);
    for origin in &config.cors_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Builds the state (connect, migrate, seed) and starts serving on `listener`.
pub async fn start(
    config: Config,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let state = AppState::build(&config)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    seed_admin(&state, &config).await;
    serve(state, config, listener)
}

async fn seed_admin(state: &AppState, config: &Config) {
    let password = config
        .admin_password
        .clone()
        .unwrap_or_else(|| authz::agents::DEFAULT_ADMIN_PASSWORD.into());
    match state.agents.seed_admin(&password).await {
        Ok(true) => tracing::info!("seeded superuser 'admin'"),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "could not seed the admin user"),
    }
    if let Ok(true) = state.agents.admin_has_default_password().await {
        tracing::warn!(
            "the 'admin' user still has the default password; change it with `dx-connect agent passwd admin`"
        );
    }
}

pub fn serve(
    state: Arc<AppState>,
    config: Config,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(state);
    let workers = config.workers;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(http::middleware::trailing_slash))
            .wrap(cors(&config))
            .wrap(from_fn(http::middleware::request_id_and_log))
            .configure(routes::configure)
            .default_service(web::to(http::middleware::not_found))
    })
    .backlog(2048)
    .shutdown_timeout(10)
    .listen(listener)?;
    if let Some(w) = workers {
        server = server.workers(w);
    }
    Ok(server.run())
}

/// Installs the tracing subscriber (`RUST_LOG` overrides the default filter).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,actix_server=warn")
    });
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}

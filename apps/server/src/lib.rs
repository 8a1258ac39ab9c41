//! DX Connect server: configuration, wiring, HTTP routes, OpenAPI and CLI commands.

pub mod application;
pub mod auto_close;
pub mod bridges;
pub mod cli;
pub mod config;
pub mod dto;
pub mod gateway_config;
pub mod http;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod state;
pub mod telemetry;

use actix_cors::Cors;
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use config::Config;
use state::Services;
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

pub use adapter_viacep::install_tls_provider;
pub use application::{Application, Shutdown};

pub(crate) async fn seed_admin(state: &Services, config: &Config) {
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

/// Raises the soft open-file limit to the hard one (a server needs a descriptor per
/// connection) and returns the limit now in force (`None` where it cannot be read).
fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

pub fn serve(
    services: Arc<Services>,
    config: Config,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    use actix_service::{IntoServiceFactory, ServiceFactoryExt};
    let workers = config
        .workers
        .filter(|w| *w > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let nofile = raise_open_file_limit();
    let max_connections = config
        .max_connections
        .unwrap_or_else(|| nofile.map_or(25_000 * workers, config::default_max_connections));
    tracing::debug!(max_connections, workers, ?nofile, "connection limits");
    let body_timeout = http::middleware::BodyTimeout(config.body_timeout);
    let trusted = web::Data::new(config.trusted_proxies.clone());
    let local_addr = listener.local_addr()?;
    let app = move || {
        App::new()
            .app_data(body_timeout)
            .app_data(trusted.clone())
            .wrap(from_fn(http::middleware::trailing_slash))
            .wrap(from_fn(http::middleware::body_deadline))
            .wrap(cors(&config))
            .wrap(from_fn(http::middleware::uri_too_long))
            .wrap(from_fn(http::middleware::request_id_and_log))
            .wrap(from_fn(http::middleware::security_headers))
            .wrap(from_fn(telemetry::record_http))
            .configure(|cfg| services.configure(cfg))
            .default_service(web::to(http::middleware::not_found))
    };
    // What `HttpServer` does, but with each connection's I/O wrapped in `UriGuard` (a JSON 414
    // for request targets too long for actix to parse).
    listener.set_nonblocking(true)?;
    let server = actix_server::Server::build()
        .backlog(2048)
        .shutdown_timeout(10)
        // `Application` owns the signals: they trigger its one shutdown signal.
        .disable_signals()
        .workers(workers)
        // Counted per worker.
        .max_concurrent_connections(max_connections.div_ceil(workers).max(1))
        .listen("dx-connect", listener, move || {
            let app = app()
                .into_factory()
                .map_err(|e: actix_web::Error| e.error_response());
            let http = actix_http::HttpService::build()
                // The request head must arrive within 5 s, an idle keep-alive connection is
                // closed after 5 s, a closing one lingers 2 s at most; the body has
                // `body_timeout`.
                .client_request_timeout(std::time::Duration::from_secs(5))
                .keep_alive(std::time::Duration::from_secs(5))
                .client_disconnect_timeout(std::time::Duration::from_secs(2))
                .local_addr(local_addr)
                .h1(actix_service::map_config(app, move |_| {
                    actix_web::dev::AppConfig::__priv_test_new(
                        false,
                        local_addr.to_string(),
                        local_addr,
                    )
                }));
            actix_service::fn_service(|io: actix_web::rt::net::TcpStream| async move {
                let peer = io.peer_addr().ok();
                let _ = io.set_nodelay(true);
                Ok::<_, actix_http::error::DispatchError>((
                    http::uri_guard::UriGuard::new(io),
                    peer,
                ))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
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

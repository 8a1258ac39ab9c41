//! Configuration from environment variables (contract §7).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    pub port: u16,
    pub secret_key: Option<String>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub cors_origins: Vec<String>,
    pub media_root: PathBuf,
    pub admin_password: Option<String>,
    pub workers: Option<usize>,
    pub cep_provider: Option<String>,
    /// Directory for server-owned files (the generated config-crypto key).
    pub data_dir: PathBuf,
    pub config_crypto_key: Option<String>,
    /// The cliente list-page cache (`DX_LIST_CACHE=off` turns it off, e.g. to measure the
    /// database path alone).
    pub list_cache: bool,
    /// Base time for a request body to arrive (`DX_BODY_TIMEOUT_SECS`, default 30; bodies that
    /// keep arriving earn more, see `http::middleware::BodyTimeout`).
    pub body_timeout: Duration,
    /// Concurrent connections, all workers together (`DX_MAX_CONNECTIONS`); `None` derives it
    /// from the open-file limit (see [`default_max_connections`]).
    pub max_connections: Option<usize>,
}

pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;

/// File descriptors kept free for the database pool, log files, stored files being read or
/// written and the listener itself.
const FD_RESERVE: u64 = 64;

/// Derived from the open-file limit: each connection can hold a socket and a file (a download
/// or an upload), so half of what is left after [`FD_RESERVE`]; at least 16.
pub fn default_max_connections(nofile_limit: u64) -> usize {
    let per_two = nofile_limit.saturating_sub(FD_RESERVE) / 2;
    usize::try_from(per_two)
        .unwrap_or(usize::MAX)
        .clamp(16, 1_000_000)
}

fn env(key: &str) -> Option<String> {
    std::env::var(key)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn minutes(key: &str, default_secs: i64) -> i64 {
    env(key)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|m| *m > 0.0)
        .map_or(default_secs, |m| (m * 60.0) as i64)
}

pub const DEFAULT_CORS: [&str; 4] = [
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
];

impl Config {
    pub fn from_env() -> Self {
        let database_url = env("DATABASE_URL").unwrap_or_else(|| {
            match (env("POSTGRES_DB"), env("POSTGRES_HOST")) {
                (Some(db), Some(host)) => format!(
                    "postgres://{}:{}@{}:{}/{}",
                    env("POSTGRES_USER").unwrap_or_else(|| "postgres".into()),
                    env("POSTGRES_PASSWORD").unwrap_or_default(),
                    host,
                    env("POSTGRES_PORT").unwrap_or_else(|| "5432".into()),
                    db
                ),
                _ => "sqlite://dx-connect.db?mode=rwc".into(),
            }
        });
        let cors_origins = env("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_else(|| DEFAULT_CORS.iter().map(|s| s.to_string()).collect());
        Self {
            database_url,
            bind: env("BIND").unwrap_or_else(|| "0.0.0.0".into()),
            port: env("PORT").and_then(|p| p.parse().ok()).unwrap_or(8001),
            secret_key: env("DJANGO_SECRET_KEY"),
            access_ttl_secs: minutes("JWT_ACCESS_TOKEN_LIFETIME", 300),
            refresh_ttl_secs: minutes("JWT_REFRESH_TOKEN_LIFETIME", 86_400),
            cors_origins,
            media_root: env("MEDIA_ROOT").map_or_else(|| PathBuf::from("./media"), PathBuf::from),
            admin_password: env("DX_ADMIN_PASSWORD"),
            workers: env("WORKERS").and_then(|w| w.parse().ok()),
            cep_provider: env("CEP_PROVIDER"),
            data_dir: env("DX_DATA_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from),
            config_crypto_key: env("CONFIG_CRYPTO_KEY"),
            list_cache: !matches!(env("DX_LIST_CACHE").as_deref(), Some("off" | "0" | "false")),
            body_timeout: Duration::from_secs(
                env("DX_BODY_TIMEOUT_SECS")
                    .and_then(|v| v.parse::<u64>().ok())
                    .filter(|s| *s > 0)
                    .unwrap_or(DEFAULT_BODY_TIMEOUT_SECS),
            ),
            max_connections: env("DX_MAX_CONNECTIONS")
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::default_max_connections;

    #[test]
    fn max_connections_leave_room_below_the_file_limit() {
        assert_eq!(default_max_connections(256), 96);
        assert_eq!(default_max_connections(1024), 480);
        assert_eq!(default_max_connections(10), 16);
        assert!(default_max_connections(u64::MAX) <= 1_000_000);
    }
}

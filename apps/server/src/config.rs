//! Configuration from environment variables (contract §7).

use std::path::PathBuf;

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
        }
    }
}

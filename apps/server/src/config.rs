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
    /// Reverse proxies whose `X-Forwarded-For` is believed (`DX_TRUSTED_PROXIES`, CIDRs;
    /// default none).
    pub trusted_proxies: crate::http::client_ip::TrustedProxies,
    /// The WhatsApp simulator's step (§4.5): 100 ms, 0 with `WHATSAPP_STUB_FAST=1`.
    pub whatsapp_step: Duration,
    /// `WHATSAPP_GATEWAY` (default the simulator) with the chosen gateway's settings.
    pub whatsapp_gateway: adapter_whatsapp::GatewayChoice,
    /// Whether this process runs the outbox sender (`DX_OUTBOX=off` leaves queued messages
    /// for another instance, or for a test to find them queued).
    pub outbox: bool,
    /// Frames a WebSocket may have waiting before it is closed as too slow (`DX_WS_QUEUE`,
    /// default 1024).
    pub ws_queue: usize,
    /// How often the server pings a WebSocket (`DX_WS_PING_SECS`, default 20); a socket silent
    /// for three intervals is dropped.
    pub ws_ping: Duration,
    /// How often the auto-close job looks for idle chats (`DX_AUTO_CLOSE_CHECK_SECONDS`,
    /// default 60; contract §6.2).
    pub auto_close_every: Duration,
    /// The inactivity timeout of the auto-close job when set (`DX_AUTO_CLOSE_TIMEOUT_SECONDS`),
    /// instead of `chat_settings.timeout_inatividade_minutos`: for timeouts under a minute
    /// (tests, demonstrations).
    pub auto_close_timeout: Option<Duration>,
    /// How often the presence timeout runs (`DX_PRESENCE_CHECK_SECONDS`, default 60).
    pub presence_check: Duration,
    /// No heartbeat for longer than this makes an agent inactive, and the next check turns it
    /// `offline` (`DX_PRESENCE_TIMEOUT_SECONDS`, default 120, the contract's 2 minutes).
    pub presence_timeout: Duration,
    /// Where `GET /metrics` (Prometheus text format) is served (`METRICS_BIND`, e.g.
    /// `127.0.0.1:9464`); `None` (the default) serves no metrics and records none.
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// The Redis server shared by several instances (`REDIS_URL`); `None` keeps the hub's
    /// broker, the cache invalidations, the login throttle and presence in this process.
    pub redis_url: Option<String>,
    /// The prefix of every Redis key and channel (`DX_REDIS_PREFIX`, default `dxconnect`):
    /// instances share state only with the instances of the same prefix.
    pub redis_prefix: String,
}

pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_AUTO_CLOSE_CHECK_SECS: u64 = 60;

/// Longest interval or timeout of a background job: a week.
pub const MAX_JOB_SECONDS: u64 = 604_800;

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

/// A start-up failure: an environment value that cannot be used. The message names the
/// variable, so the operator knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message} (got {value:?})")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub message: &'static str,
}

/// Reads variables through `lookup` (the process environment in production, a map in tests);
/// blank values count as unset.
struct Vars<F: Fn(&str) -> Option<String>>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, key: &str) -> Option<String> {
        (self.0)(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A number that must parse and be positive; unset gives `None`.
    fn positive<T>(&self, key: &'static str) -> Result<Option<T>, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + Default,
    {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value.parse::<T>() {
            Ok(n) if n > T::default() => Ok(Some(n)),
            _ => Err(ConfigError {
                var: key,
                value,
                message: "must be a positive whole number",
            }),
        }
    }

    /// Whole seconds from 1 to [`MAX_JOB_SECONDS`]; unset gives `default`.
    fn job_seconds(&self, key: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(Duration::from_secs(default));
        };
        match value.parse::<u64>() {
            Ok(n) if (1..=MAX_JOB_SECONDS).contains(&n) => Ok(Duration::from_secs(n)),
            _ => Err(ConfigError {
                var: key,
                value,
                message: "must be a whole number of seconds from 1 to 604800",
            }),
        }
    }

    /// A lifetime in minutes (fractions allowed), as seconds.
    fn minutes(&self, key: &'static str, default_secs: i64) -> Result<i64, ConfigError> {
        let Some(value) = self.get(key) else {
            return Ok(default_secs);
        };
        match value.parse::<f64>() {
            Ok(m) if m.is_finite() && m > 0.0 && m * 60.0 < i64::MAX as f64 => {
                Ok(((m * 60.0) as i64).max(1))
            }
            _ => Err(ConfigError {
                var: key,
                value,
                message: "must be a positive number of minutes",
            }),
        }
    }
}

pub const DEFAULT_CORS: [&str; 4] = [
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://127.0.0.1:3000",
];

/// Every byte but ASCII letters and digits is escaped in the URL's user-info part.
fn userinfo(part: &str) -> String {
    percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The PostgreSQL URL from its parts, with the user and password percent-encoded (a password
/// may hold `@`, `:`, `/`, `#` or `%`).
pub fn postgres_url(user: &str, password: &str, host: &str, port: &str, db: &str) -> String {
    format!(
        "postgres://{}:{}@{host}:{port}/{db}",
        userinfo(user),
        userinfo(password)
    )
}

impl Config {
    /// Reads the process environment; a value that cannot be used stops start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let env = |k: &str| vars.get(k);
        let database_url = match env("DATABASE_URL") {
            Some(url) => url,
            None => match (env("POSTGRES_DB"), env("POSTGRES_HOST")) {
                (Some(db), Some(host)) => postgres_url(
                    &env("POSTGRES_USER").unwrap_or_else(|| "postgres".into()),
                    &env("POSTGRES_PASSWORD").unwrap_or_default(),
                    &host,
                    &vars
                        .positive::<u16>("POSTGRES_PORT")?
                        .unwrap_or(5432)
                        .to_string(),
                    &db,
                ),
                _ => "sqlite://dx-connect.db?mode=rwc".into(),
            },
        };
        let cors_origins = env("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_else(|| DEFAULT_CORS.iter().map(|s| s.to_string()).collect());
        let port = match env("PORT") {
            None => 8001,
            Some(value) => value.parse::<u16>().map_err(|_| ConfigError {
                var: "PORT",
                value,
                message: "must be a TCP port number (0-65535)",
            })?,
        };
        Ok(Self {
            database_url,
            bind: env("BIND").unwrap_or_else(|| "0.0.0.0".into()),
            port,
            secret_key: env("DJANGO_SECRET_KEY"),
            access_ttl_secs: vars.minutes("JWT_ACCESS_TOKEN_LIFETIME", 300)?,
            refresh_ttl_secs: vars.minutes("JWT_REFRESH_TOKEN_LIFETIME", 86_400)?,
            cors_origins,
            media_root: env("MEDIA_ROOT").map_or_else(|| PathBuf::from("./media"), PathBuf::from),
            admin_password: env("DX_ADMIN_PASSWORD"),
            workers: vars.positive::<usize>("WORKERS")?,
            cep_provider: env("CEP_PROVIDER"),
            data_dir: env("DX_DATA_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from),
            config_crypto_key: env("CONFIG_CRYPTO_KEY"),
            list_cache: !matches!(env("DX_LIST_CACHE").as_deref(), Some("off" | "0" | "false")),
            body_timeout: Duration::from_secs(
                vars.positive::<u64>("DX_BODY_TIMEOUT_SECS")?
                    .unwrap_or(DEFAULT_BODY_TIMEOUT_SECS),
            ),
            max_connections: vars.positive::<usize>("DX_MAX_CONNECTIONS")?,
            whatsapp_step: match env("WHATSAPP_STUB_FAST").as_deref() {
                Some("1") => Duration::ZERO,
                _ => Duration::from_millis(100),
            },
            whatsapp_gateway: crate::gateway_config::from_lookup(&|k| vars.get(k))?,
            outbox: !matches!(env("DX_OUTBOX").as_deref(), Some("off" | "0" | "false")),
            ws_queue: vars.positive::<usize>("DX_WS_QUEUE")?.unwrap_or(1024),
            ws_ping: Duration::from_secs(vars.positive::<u64>("DX_WS_PING_SECS")?.unwrap_or(20)),
            auto_close_every: vars
                .job_seconds("DX_AUTO_CLOSE_CHECK_SECONDS", DEFAULT_AUTO_CLOSE_CHECK_SECS)?,
            auto_close_timeout: match vars.get("DX_AUTO_CLOSE_TIMEOUT_SECONDS") {
                Some(_) => Some(vars.job_seconds("DX_AUTO_CLOSE_TIMEOUT_SECONDS", 0)?),
                None => None,
            },
            presence_check: vars.job_seconds("DX_PRESENCE_CHECK_SECONDS", 60)?,
            presence_timeout: vars.job_seconds("DX_PRESENCE_TIMEOUT_SECONDS", 120)?,
            metrics_bind: match env("METRICS_BIND") {
                None => None,
                Some(value) => Some(value.parse().map_err(|_| ConfigError {
                    var: "METRICS_BIND",
                    value,
                    message: "must be an address and port, such as 127.0.0.1:9464",
                })?),
            },
            redis_url: match env("REDIS_URL") {
                None => None,
                Some(value) if value.starts_with("redis://") || value.starts_with("rediss://") => {
                    Some(value)
                }
                // The URL may hold a password: never echoed.
                Some(_) => {
                    return Err(ConfigError {
                        var: "REDIS_URL",
                        value: "(not shown)".into(),
                        message: "must be a redis:// or rediss:// URL",
                    });
                }
            },
            redis_prefix: env("DX_REDIS_PREFIX").unwrap_or_else(|| "dxconnect".into()),
            trusted_proxies: crate::http::client_ip::TrustedProxies::parse(
                env("DX_TRUSTED_PROXIES").as_deref().unwrap_or(""),
            )
            .map_err(|value| ConfigError {
                var: "DX_TRUSTED_PROXIES",
                value,
                message: "must be a comma-separated list of CIDRs or IP addresses",
            })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn metrics_and_redis_settings() {
        let c = with(&[]).expect("config");
        assert_eq!((c.metrics_bind, c.redis_url.as_deref()), (None, None));
        assert_eq!(c.redis_prefix, "dxconnect");
        let c = with(&[
            ("METRICS_BIND", "127.0.0.1:9464"),
            ("REDIS_URL", "redis://:pw@10.0.0.5:6379/0"),
            ("DX_REDIS_PREFIX", "loja1"),
        ])
        .expect("config");
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.redis_url.as_deref(), Some("redis://:pw@10.0.0.5:6379/0"));
        assert_eq!(c.redis_prefix, "loja1");
        let e = with(&[("METRICS_BIND", "9464")]).unwrap_err();
        assert_eq!((e.var, e.value.as_str()), ("METRICS_BIND", "9464"));
        // A URL that is not Redis stops start-up, and its text (a password, maybe) is not
        // echoed.
        let e = with(&[("REDIS_URL", "http://u:secret@host")]).unwrap_err();
        assert_eq!(e.var, "REDIS_URL");
        assert!(!e.value.contains("secret"), "{}", e.value);
    }

    #[test]
    fn defaults_when_unset() {
        let c = with(&[]).expect("config");
        assert_eq!(c.port, 8001);
        assert_eq!(c.workers, None);
        assert_eq!(c.access_ttl_secs, 300);
        assert_eq!(c.refresh_ttl_secs, 86_400);
        assert_eq!(
            c.body_timeout,
            Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS)
        );
        assert_eq!(c.max_connections, None);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.auto_close_every, Duration::from_secs(60));
        assert_eq!(c.auto_close_timeout, None);
        assert_eq!(c.presence_check, Duration::from_secs(60));
        assert_eq!(c.presence_timeout, Duration::from_secs(120));
        let c = with(&[
            ("DX_PRESENCE_CHECK_SECONDS", "5"),
            ("DX_PRESENCE_TIMEOUT_SECONDS", "7"),
        ])
        .expect("config");
        assert_eq!(c.presence_check, Duration::from_secs(5));
        assert_eq!(c.presence_timeout, Duration::from_secs(7));
        let c = with(&[
            ("PORT", "9000"),
            ("WORKERS", "3"),
            ("JWT_ACCESS_TOKEN_LIFETIME", "1.5"),
        ])
        .expect("config");
        assert_eq!((c.port, c.workers, c.access_ttl_secs), (9000, Some(3), 90));
        let c = with(&[
            ("DX_AUTO_CLOSE_CHECK_SECONDS", "5"),
            ("DX_AUTO_CLOSE_TIMEOUT_SECONDS", "2"),
        ])
        .expect("config");
        assert_eq!(c.auto_close_every, Duration::from_secs(5));
        assert_eq!(c.auto_close_timeout, Some(Duration::from_secs(2)));
    }

    #[test]
    fn bad_numbers_stop_start_up_naming_the_variable() {
        for (var, value) in [
            ("PORT", "80a"),
            ("PORT", "70000"),
            ("WORKERS", "two"),
            ("WORKERS", "0"),
            ("WORKERS", "-1"),
            ("JWT_ACCESS_TOKEN_LIFETIME", "five"),
            ("JWT_REFRESH_TOKEN_LIFETIME", "0"),
            ("JWT_REFRESH_TOKEN_LIFETIME", "NaN"),
            ("DX_BODY_TIMEOUT_SECS", "30s"),
            ("DX_MAX_CONNECTIONS", "many"),
            ("DX_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("WHATSAPP_GATEWAY", "twilio"),
            ("DX_AUTO_CLOSE_CHECK_SECONDS", "0"),
            ("DX_AUTO_CLOSE_CHECK_SECONDS", "1m"),
            ("DX_AUTO_CLOSE_TIMEOUT_SECONDS", "-5"),
            ("DX_AUTO_CLOSE_TIMEOUT_SECONDS", "604801"),
            ("DX_PRESENCE_CHECK_SECONDS", "abc"),
            ("DX_PRESENCE_CHECK_SECONDS", "0"),
            ("DX_PRESENCE_CHECK_SECONDS", "1.5"),
            ("DX_PRESENCE_TIMEOUT_SECONDS", "-1"),
            ("DX_PRESENCE_TIMEOUT_SECONDS", "604801"),
        ] {
            let e = with(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var);
            assert_eq!(e.value, value);
            assert!(e.to_string().starts_with(var), "{e}");
        }
        let e = with(&[
            ("POSTGRES_DB", "d"),
            ("POSTGRES_HOST", "h"),
            ("POSTGRES_PORT", "x"),
        ])
        .expect_err("port");
        assert_eq!(e.var, "POSTGRES_PORT");
    }

    #[test]
    fn postgres_credentials_are_percent_encoded() {
        let password = "p@ss:w/rd#50%?";
        let c = with(&[
            ("POSTGRES_DB", "dx"),
            ("POSTGRES_HOST", "db.local"),
            ("POSTGRES_USER", "us@r:1"),
            ("POSTGRES_PASSWORD", password),
        ])
        .expect("config");
        let url = url::Url::parse(&c.database_url).expect("a valid URL");
        assert_eq!(url.host_str(), Some("db.local"));
        assert_eq!(url.port(), Some(5432));
        assert_eq!(url.path(), "/dx");
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .expect("utf8")
                .into_owned()
        };
        assert_eq!(decode(url.username()), "us@r:1");
        assert_eq!(decode(url.password().expect("password")), password);
    }

    #[test]
    fn max_connections_leave_room_below_the_file_limit() {
        assert_eq!(default_max_connections(256), 96);
        assert_eq!(default_max_connections(1024), 480);
        assert_eq!(default_max_connections(10), 16);
        assert!(default_max_connections(u64::MAX) <= 1_000_000);
    }
}

//! The auto-close job (contract §6.2): every `DX_AUTO_CLOSE_CHECK_SECONDS` (default 60) the
//! chats `em_atendimento` idle for longer than the timeout are finalized and their atendente
//! hears `chat_auto_closed`.
//!
//! The timeout is `chat_settings.timeout_inatividade_minutos`, read for every tick (so a
//! `PATCH /config/chat/` applies from the next one); 30 minutes while no configuration row
//! exists or when the value is not a positive integer. `DX_AUTO_CLOSE_TIMEOUT_SECONDS`
//! overrides it. Each tick runs under the job lock: with several instances on one PostgreSQL
//! database, one of them runs it.

use crate::application::Shutdown;
use crate::config::Config;
use crate::state::Services;
use atendimento::auto_close::{AutoClose, DEFAULT_TIMEOUT_MINUTES};
use configuracoes::ConfigService;
use kernel::JobLock;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// The job's lock name.
pub const JOB: &str = "atendimento.auto_close";

/// `timeout_inatividade_minutos` of a stored chat section (the default when it is not a
/// positive integer).
pub fn timeout_minutes(chat_settings: Option<&Map<String, Value>>) -> i64 {
    chat_settings
        .and_then(|s| s.get("timeout_inatividade_minutos"))
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_TIMEOUT_MINUTES)
}

#[derive(Clone)]
pub struct AutoCloseJob {
    auto_close: Arc<AutoClose>,
    settings: Arc<ConfigService>,
    lock: Arc<dyn JobLock>,
    every: Duration,
    timeout: Option<Duration>,
}

impl AutoCloseJob {
    pub fn new(services: &Services, config: &Config) -> Self {
        Self {
            auto_close: services.atendimento.auto_close.clone(),
            settings: services.config.clone(),
            lock: services.job_lock.clone(),
            every: config.auto_close_every,
            timeout: config.auto_close_timeout,
        }
    }

    /// The inactivity timeout of the next tick.
    async fn timeout(&self) -> chrono::Duration {
        if let Some(t) = self.timeout {
            return chrono::Duration::from_std(t).unwrap_or(chrono::Duration::MAX);
        }
        let stored = match self.settings.chat_settings_if_stored().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "auto-close: cannot read the chat settings");
                None
            }
        };
        chrono::Duration::minutes(timeout_minutes(stored.as_ref()))
    }

    /// One tick under the job lock; `None` when another process holds it.
    pub async fn tick(&self) -> kernel::Result<Option<usize>> {
        let timeout = self.timeout().await;
        let mut closed = 0;
        let ran = self
            .lock
            .try_run(
                JOB,
                Box::pin(async {
                    closed = self.auto_close.tick_after(timeout).await?;
                    Ok(())
                }),
            )
            .await?;
        Ok(ran.then_some(closed))
    }

    /// Ticks until the shutdown; a failed (or panicking) tick is logged and the next one
    /// comes as usual.
    pub async fn run(self, shutdown: Shutdown) {
        let mut every = tokio::time::interval(self.every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick of an interval is immediate: the first check comes one period in.
        every.tick().await;
        loop {
            tokio::select! {
                _ = shutdown.triggered() => return,
                _ = every.tick() => {}
            }
            let job = self.clone();
            let tick = async move { job.tick().await };
            if let Some(Some(n)) =
                crate::telemetry::job_tick("auto_close", tick, Option::is_none).await
                && n > 0
            {
                tracing::info!(closed = n, "auto-close: idle chats closed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_timeout_falls_back_to_30_minutes() {
        let section = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(timeout_minutes(None), 30);
        assert_eq!(
            timeout_minutes(Some(&section(json!({"timeout_inatividade_minutos": 15})))),
            15
        );
        for bad in [json!(0), json!(-3), json!("15"), json!(1.5), json!(null)] {
            assert_eq!(
                timeout_minutes(Some(&section(json!({"timeout_inatividade_minutos": bad})))),
                30
            );
        }
        assert_eq!(timeout_minutes(Some(&section(json!({})))), 30);
    }
}

//! Wiring of presence (§4.8): the repository on the database, the socket counts from the hub,
//! and the timer that runs the presence timeout.
//!
//! `websocket_connected` is read from the hub when a presence is read (`HubSockets`), not kept
//! in the database by connection hooks: the hub's count is the truth, and with several
//! instances the count will come through the shared broker behind the same port.

use crate::application::Shutdown;
use crate::config::Config;
use adapter_realtime::Hub;
use adapter_seaorm as db;
use atendimento::presenca::job::PresenceTimeout;
use atendimento::presenca::ports::SocketPresence;
use atendimento::presenca::{Deps, PresencaService, PresenceConfig};
use kernel::{Clock, DomainError, EventPublisher};
use std::sync::Arc;
use std::time::Duration;

/// Open sockets per agent, from this instance's hub.
pub struct HubSockets(pub Arc<Hub>);

#[async_trait::async_trait]
impl SocketPresence for HubSockets {
    async fn open_sockets(&self, agent: i64) -> kernel::Result<usize> {
        Ok(self.0.sockets_of(agent))
    }
}

/// The presence use cases and the timeout job with its interval.
pub struct PresenceServices {
    pub service: Arc<PresencaService>,
    pub timeout: Arc<PresenceTimeout>,
    /// How often the timeout runs (`DX_PRESENCE_CHECK_SECONDS`).
    pub check_every: Duration,
}

impl PresenceServices {
    pub fn build(
        conn: &db::DatabaseConnection,
        hub: Arc<Hub>,
        sockets: Arc<dyn SocketPresence>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> Result<Self, DomainError> {
        let repo = Arc::new(db::SeaOrmPresenceRepository::new(conn.clone()));
        let inactive_after = chrono::Duration::from_std(config.presence_timeout)
            .map_err(|e| DomainError::internal(format!("presence timeout: {e}")))?;
        let events: Arc<dyn EventPublisher> = hub.clone();
        let deps = Deps {
            presences: repo.clone(),
            typing: repo.clone(),
            preferencias: repo,
            sockets,
            events,
            clock,
            config: PresenceConfig { inactive_after },
        };
        Ok(Self {
            service: Arc::new(PresencaService::new(deps.clone())),
            timeout: Arc::new(PresenceTimeout::new(deps)),
            check_every: config.presence_check,
        })
    }
}

/// The presence timeout's timer: a tick every `every` until the shutdown. Each tick runs in
/// its own task, so a panic is logged and the timer goes on.
pub async fn run_presence_timeout(job: Arc<PresenceTimeout>, every: Duration, shutdown: Shutdown) {
    let mut timer = tokio::time::interval(every);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.triggered() => return,
            _ = timer.tick() => {}
        }
        let job = job.clone();
        let tick = async move { job.run_presence_timeout().await };
        if let Some(expired) = crate::telemetry::job_tick("presence_timeout", tick, |_| false).await
            && !expired.is_empty()
        {
            tracing::info!(
                agents = expired.len(),
                "presence timeout: agents marked offline"
            );
        }
    }
}

//! The presence timeout (§4.8, §6.3): agents in `online`/`busy`/`away` whose last heartbeat
//! is older than the configured limit (2 minutes) become `offline`, and each change is
//! announced to every authenticated socket with `"Desconectado por inatividade"`.
//!
//! The application runs [`PresenceTimeout::run_presence_timeout`] on a timer (every 60 s by
//! default). Time comes from the `Clock` port; the repository decides, in one conditional
//! statement, which agents expire, and makes the tick run in one process when several share a
//! database (see `PresenceRepository::expire_stale`).

use super::events::DESCONECTADO_POR_INATIVIDADE;
use super::model::PresenceStatus;
use super::service::Deps;
use kernel::Result;

pub struct PresenceTimeout {
    d: Deps,
}

impl PresenceTimeout {
    pub fn new(d: Deps) -> Self {
        Self { d }
    }

    /// One tick: expires the stale agents and announces each; returns them.
    pub async fn run_presence_timeout(&self) -> Result<Vec<i64>> {
        let now = self.d.clock.now();
        let cutoff = now - self.d.config.inactive_after;
        let expired = self.d.presences.expire_stale(cutoff, now).await?;
        for agent in &expired {
            self.d.publish_presence(
                *agent,
                PresenceStatus::Offline,
                DESCONECTADO_POR_INATIVIDADE,
                now,
            );
        }
        Ok(expired)
    }
}

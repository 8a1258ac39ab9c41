//! The simulated WhatsApp connection ("stub", contract §4.5).
//!
//! `connect` → `connecting` → (+1 step) `qrcode` with the QR image → (+2 steps)
//! `authenticated` → (+3 steps) `ready`; a step is 100 ms, 0 with `WHATSAPP_STUB_FAST=1`
//! (then the whole sequence runs, in order, before `connect` returns). A send is accepted
//! when the connection is ready: `sent` half a step later, then `delivered` and `read` half a
//! step apart, reported through [`GatewayEvents`] like a real gateway's webhooks. The
//! simulation lives in memory: after a restart every connection is `disconnected`.

use async_trait::async_trait;
use chrono::Utc;
use kernel::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use whatsapp::events::STUB_QR_B64;
use whatsapp::ports::{GatewayEvents, OutboundMessage, SendError, SessionRef, WhatsAppGateway};
use whatsapp::{ConnectionState, MessageStatus, SessionStatus};

/// 100 ms, or 0 when `WHATSAPP_STUB_FAST=1`.
pub fn step_from_env() -> Duration {
    match std::env::var("WHATSAPP_STUB_FAST").as_deref() {
        Ok("1") => Duration::ZERO,
        _ => Duration::from_millis(100),
    }
}

#[derive(Debug, Clone, Copy)]
struct Connection {
    state: ConnectionState,
    /// Bumped by every connect/disconnect: a pending step of an older run stops.
    generation: u64,
}

struct Inner {
    step: Duration,
    connections: Mutex<HashMap<i64, Connection>>,
    events: OnceLock<Weak<dyn GatewayEvents>>,
}

#[derive(Clone)]
pub struct SimulatorGateway {
    inner: Arc<Inner>,
}

impl SimulatorGateway {
    pub fn new(step: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                step,
                connections: Mutex::new(HashMap::new()),
                events: OnceLock::new(),
            }),
        }
    }

    /// Where the simulator reports (set once, at wiring; held weakly, the handler owns the
    /// gateway).
    pub fn bind(&self, events: &Arc<dyn GatewayEvents>) {
        let _ = self.inner.events.set(Arc::downgrade(events));
    }
}

impl Inner {
    fn listener(&self) -> Option<Arc<dyn GatewayEvents>> {
        self.events.get().and_then(Weak::upgrade)
    }

    fn get(&self, usuario: i64) -> Connection {
        let map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&usuario).copied().unwrap_or(Connection {
            state: SessionStatus::Disconnected,
            generation: 0,
        })
    }

    /// Moves to `state`; with `only_generation`, only if no newer run started. Returns the
    /// new generation, or `None` when the run was superseded.
    fn set(
        &self,
        usuario: i64,
        state: ConnectionState,
        only_generation: Option<u64>,
    ) -> Option<u64> {
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let c = map.entry(usuario).or_insert(Connection {
            state: SessionStatus::Disconnected,
            generation: 0,
        });
        match only_generation {
            Some(g) if g != c.generation => None,
            Some(_) => {
                c.state = state;
                Some(c.generation)
            }
            None => {
                c.generation += 1;
                c.state = state;
                Some(c.generation)
            }
        }
    }

    /// Starts a new run (`connecting`) unless one is live, in one locked step, so two
    /// concurrent `connect`s start one run: `Err` with the live state otherwise.
    fn begin(&self, usuario: i64) -> std::result::Result<u64, ConnectionState> {
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let c = map.entry(usuario).or_insert(Connection {
            state: SessionStatus::Disconnected,
            generation: 0,
        });
        if c.state.is_live() {
            return Err(c.state);
        }
        c.generation += 1;
        c.state = SessionStatus::Connecting;
        Ok(c.generation)
    }

    async fn report(&self, usuario: i64, state: ConnectionState) {
        if let Some(l) = self.listener() {
            let qr = (state == SessionStatus::Qrcode).then(|| STUB_QR_B64.to_string());
            l.connection_changed(usuario, state, qr).await;
        }
    }

    /// The steps after `connecting`, in order; stops if a newer run started.
    async fn run(self: Arc<Self>, usuario: i64, generation: u64) {
        for (steps, state) in [
            (1, SessionStatus::Qrcode),
            (2, SessionStatus::Authenticated),
            (3, SessionStatus::Ready),
        ] {
            if !self.step.is_zero() {
                tokio::time::sleep(self.step * steps).await;
            }
            if self.set(usuario, state, Some(generation)).is_none() {
                return;
            }
            self.report(usuario, state).await;
        }
    }
}

#[async_trait]
impl WhatsAppGateway for SimulatorGateway {
    async fn connect(&self, r: SessionRef) -> Result<ConnectionState> {
        let generation = match self.inner.begin(r.usuario) {
            Ok(g) => g,
            // Already on its way or up: nothing new.
            Err(live) => return Ok(live),
        };
        self.inner
            .report(r.usuario, SessionStatus::Connecting)
            .await;
        if self.inner.step.is_zero() {
            self.inner.clone().run(r.usuario, generation).await;
        } else {
            tokio::spawn(self.inner.clone().run(r.usuario, generation));
        }
        Ok(self.inner.get(r.usuario).state)
    }

    async fn disconnect(&self, r: SessionRef) -> Result<()> {
        self.inner.set(r.usuario, SessionStatus::Disconnected, None);
        self.inner
            .report(r.usuario, SessionStatus::Disconnected)
            .await;
        Ok(())
    }

    async fn state(&self, r: SessionRef) -> ConnectionState {
        self.inner.get(r.usuario).state
    }

    async fn send(
        &self,
        r: SessionRef,
        message: &OutboundMessage,
    ) -> std::result::Result<String, SendError> {
        if self.inner.get(r.usuario).state != SessionStatus::Ready {
            return Err(SendError::NotConnected);
        }
        let half = self.inner.step / 2;
        if !half.is_zero() {
            tokio::time::sleep(half).await;
        }
        // The simulator names the message by our id (real providers give their own).
        let provider_id = message.message_id.clone();
        let inner = self.inner.clone();
        let id = provider_id.clone();
        // Even in fast mode the receipts come a moment later, as a provider's webhooks do:
        // after the sender has recorded the id (reports that still overtake it are kept and
        // replayed by the domain).
        let gap = half.max(Duration::from_millis(5));
        tokio::spawn(async move {
            for status in [MessageStatus::Delivered, MessageStatus::Read] {
                tokio::time::sleep(gap).await;
                if let Some(l) = inner.listener() {
                    l.delivery_status(id.clone(), status, Utc::now(), None)
                        .await;
                }
            }
        });
        Ok(provider_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl GatewayEvents for Recorder {
        async fn connection_changed(&self, u: i64, s: ConnectionState, qr: Option<String>) {
            self.seen.lock().unwrap().push(format!(
                "{u}:{}:{}",
                s.as_str(),
                qr.unwrap_or_default()
            ));
        }
        async fn connection_failed(&self, _u: i64, _e: String) {}
        async fn delivery_status(
            &self,
            id: String,
            s: MessageStatus,
            _at: DateTime<Utc>,
            _e: Option<String>,
        ) {
            self.seen
                .lock()
                .unwrap()
                .push(format!("{id}:{}", s.as_str()));
        }
    }

    fn setup(step: Duration) -> (SimulatorGateway, Arc<Recorder>, Arc<dyn GatewayEvents>) {
        let g = SimulatorGateway::new(step);
        let rec = Arc::new(Recorder::default());
        let l: Arc<dyn GatewayEvents> = rec.clone();
        g.bind(&l);
        (g, rec, l)
    }

    const ANA: SessionRef = SessionRef {
        usuario: 1,
        session: None,
    };

    #[tokio::test]
    async fn fast_mode_runs_the_whole_sequence_in_order_before_returning() {
        let (g, rec, _keep) = setup(Duration::ZERO);
        assert_eq!(g.connect(ANA).await.unwrap(), SessionStatus::Ready);
        assert_eq!(
            *rec.seen.lock().unwrap(),
            vec![
                "1:connecting:",
                "1:qrcode:c3R1Yi1xcg==",
                "1:authenticated:",
                "1:ready:"
            ]
        );
        // Already ready: nothing new.
        assert_eq!(g.connect(ANA).await.unwrap(), SessionStatus::Ready);
        assert_eq!(rec.seen.lock().unwrap().len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_connects_start_one_run() {
        let (g, rec, _keep) = setup(Duration::from_millis(100));
        let (a, b) = tokio::join!(g.connect(ANA), g.connect(ANA));
        assert_eq!(
            (a.unwrap(), b.unwrap()),
            (SessionStatus::Connecting, SessionStatus::Connecting)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        let seen = rec.seen.lock().unwrap();
        assert_eq!(
            seen.iter().filter(|s| s.ends_with(":connecting:")).count(),
            1,
            "{seen:?}"
        );
        assert_eq!(seen.last().map(String::as_str), Some("1:ready:"));
    }

    #[tokio::test(start_paused = true)]
    async fn stepped_mode_answers_connecting_and_a_stop_cancels_the_rest() {
        let (g, rec, _keep) = setup(Duration::from_millis(100));
        assert_eq!(g.connect(ANA).await.unwrap(), SessionStatus::Connecting);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(g.state(ANA).await, SessionStatus::Qrcode);
        g.disconnect(ANA).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(g.state(ANA).await, SessionStatus::Disconnected);
        assert_eq!(
            *rec.seen.lock().unwrap(),
            vec!["1:connecting:", "1:qrcode:c3R1Yi1xcg==", "1:disconnected:"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sends_need_a_ready_connection_and_report_delivered_then_read() {
        let (g, rec, _keep) = setup(Duration::from_millis(100));
        let msg = OutboundMessage {
            message_id: "m1".into(),
            to: "5511".into(),
            content: whatsapp::commands::Content::Text("oi".into()),
        };
        assert_eq!(g.send(ANA, &msg).await, Err(SendError::NotConnected));
        g.connect(ANA).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(g.send(ANA, &msg).await.unwrap(), "m1");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let seen = rec.seen.lock().unwrap();
        assert_eq!(seen[seen.len() - 2..], ["m1:delivered", "m1:read"]);
    }
}

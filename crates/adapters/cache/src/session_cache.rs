//! The webhook's target session, remembered between messages.
//!
//! Every inbound message is stored under "the most recently updated active `ready` session"
//! ([`SessionRepository::latest_ready`]). Reading it per message costs a database round trip
//! (and the driver thread's two context switches) on the hottest write path of the product.
//! [`CachedSessions`] keeps the last answer that found a session, and drops it:
//! - on every write through it (this instance, before the write returns to its caller);
//! - on every [`SESSIONS`] invalidation from the bus (another instance's writes);
//! - [`MAX_AGE`] after it was read, whatever happened (writes outside any instance).
//!
//! "No ready session" is never remembered: a session that becomes ready is used at once.
//! Every other method goes straight to the wrapped repository.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{CacheInvalidation, Invalidation, Page, PageRequest, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use whatsapp::commands::{ImportSession, SessionFilter};
use whatsapp::ports::SessionRepository;
use whatsapp::session::{Session, SessionData, Transition};

/// Upper bound on how long a remembered session outlives a change made outside this process
/// that no invalidation reported.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// The cache name in invalidations.
pub const SESSIONS: &str = "whatsapp.sessions";

/// The remembered answer: the generation it was read under, when, and the session.
type Remembered = (u64, Instant, Session);

pub struct CachedSessions {
    inner: Arc<dyn SessionRepository>,
    generation: Arc<AtomicU64>,
    latest: Mutex<Option<Remembered>>,
    bus: OnceLock<Arc<dyn CacheInvalidation>>,
}

impl CachedSessions {
    /// A cache over `inner` on this instance only.
    pub fn new(inner: Arc<dyn SessionRepository>) -> Self {
        Self {
            inner,
            generation: Arc::new(AtomicU64::new(0)),
            latest: Mutex::new(None),
            bus: OnceLock::new(),
        }
    }

    /// A cache that publishes its writes on `bus` and forgets on every [`SESSIONS`]
    /// invalidation from it.
    pub fn follow(inner: Arc<dyn SessionRepository>, bus: Arc<dyn CacheInvalidation>) -> Self {
        let cache = Self::new(inner);
        let generation = cache.generation.clone();
        bus.subscribe(
            SESSIONS,
            Arc::new(move |_: &Invalidation| {
                generation.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let _ = cache.bus.set(bus);
        cache
    }

    /// A write happened (or was attempted: a failed one may have changed rows).
    fn written(&self) {
        match self.bus.get() {
            // The bus calls this instance's subscriber before it returns.
            Some(bus) => bus.publish(&Invalidation::all(SESSIONS)),
            None => {
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    async fn writing<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let r = fut.await;
        self.written();
        r
    }
}

#[async_trait]
impl SessionRepository for CachedSessions {
    async fn list(
        &self,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Session>>> {
        self.inner.list(filter, page).await
    }

    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Session>> {
        self.inner.get(id, owner).await
    }

    async fn current_of(&self, usuario: i64) -> Result<Option<Session>> {
        self.inner.current_of(usuario).await
    }

    async fn insert(&self, data: &SessionData) -> Result<Session> {
        self.writing(self.inner.insert(data)).await
    }

    async fn update(
        &self,
        id: i64,
        data: &SessionData,
        since: Option<SessionData>,
    ) -> Result<Session> {
        self.writing(self.inner.update(id, data, since)).await
    }

    async fn delete(&self, id: i64) -> Result<()> {
        self.writing(self.inner.delete(id)).await
    }

    async fn get_or_create_active(&self, usuario: i64, device_name: &str) -> Result<Session> {
        self.writing(self.inner.get_or_create_active(usuario, device_name))
            .await
    }

    async fn apply_transition(&self, usuario: i64, t: &Transition) -> Result<Option<Session>> {
        self.writing(self.inner.apply_transition(usuario, t)).await
    }

    async fn record_error(&self, usuario: i64, error: &str) -> Result<()> {
        self.writing(self.inner.record_error(usuario, error)).await
    }

    async fn import(&self, usuario: i64, backup: &ImportSession) -> Result<(Session, bool)> {
        self.writing(self.inner.import(usuario, backup)).await
    }

    async fn record_reconnect(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.writing(self.inner.record_reconnect(id, at)).await
    }

    async fn latest_ready(&self) -> Result<Option<Session>> {
        // The generation before the read: a write that lands during it moves the generation
        // past the one stored with the answer, which is then never served.
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some((g, at, s)) = self
            .latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && *g == generation
            && at.elapsed() < MAX_AGE
        {
            return Ok(Some(s.clone()));
        }
        let found = self.inner.latest_ready().await?;
        if let Some(s) = &found {
            *self.latest.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((generation, Instant::now(), s.clone()));
        }
        Ok(found)
    }

    async fn live(&self) -> Result<Vec<Session>> {
        self.inner.live().await
    }

    async fn latest_active(&self) -> Result<Option<Session>> {
        self.inner.latest_active().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::LocalInvalidations;
    use whatsapp::ports::MockSessionRepository;

    fn session(id: i64) -> Session {
        Session::fixture(
            id,
            whatsapp::session::SessionStatus::Ready,
            DateTime::<Utc>::UNIX_EPOCH,
        )
    }

    /// A repository whose `latest_ready` answers `ids` in turn (then the last one again).
    fn answering(ids: &[Option<i64>]) -> (MockSessionRepository, Arc<AtomicU64>) {
        let mut m = MockSessionRepository::new();
        let calls = Arc::new(AtomicU64::new(0));
        let answers: Vec<Option<i64>> = ids.to_vec();
        let counted = calls.clone();
        m.expect_latest_ready().returning(move || {
            let n = counted.fetch_add(1, Ordering::SeqCst) as usize;
            Ok(answers[n.min(answers.len() - 1)].map(session))
        });
        m.expect_delete().returning(|_| Ok(()));
        m.expect_record_error().returning(|_, _| Ok(()));
        (m, calls)
    }

    #[tokio::test]
    async fn the_found_session_is_remembered_until_a_write() {
        let (m, calls) = answering(&[Some(1), Some(2)]);
        let c = CachedSessions::new(Arc::new(m));
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 1);
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 1);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        c.delete(1).await.unwrap();
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn no_ready_session_is_never_remembered() {
        let (m, calls) = answering(&[None, Some(3)]);
        let c = CachedSessions::new(Arc::new(m));
        assert!(c.latest_ready().await.unwrap().is_none());
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 3);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn another_instances_write_arrives_through_the_bus() {
        let bus: Arc<dyn CacheInvalidation> = Arc::new(LocalInvalidations::default());
        let (m, calls) = answering(&[Some(1), Some(4)]);
        let c = CachedSessions::follow(Arc::new(m), bus.clone());
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 1);
        // Another instance (its own cache on the same bus) records an error on a session.
        let (other, _) = answering(&[Some(1)]);
        let b = CachedSessions::follow(Arc::new(other), bus);
        b.record_error(7, "falhou").await.unwrap();
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 4);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_remembered_session_expires() {
        let (m, calls) = answering(&[Some(1), Some(5)]);
        let c = CachedSessions::new(Arc::new(m));
        c.latest_ready().await.unwrap();
        tokio::time::sleep(MAX_AGE + Duration::from_millis(50)).await;
        assert_eq!(c.latest_ready().await.unwrap().unwrap().id, 5);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

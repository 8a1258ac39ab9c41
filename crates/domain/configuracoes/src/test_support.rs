//! Mock ports and a service over them, shared by the service's unit tests.

use crate::model::StoredConfig;
use crate::ports::{MockConfigRepository, MockSecretCipher};
use crate::service::ConfigService;
use chrono::{DateTime, TimeZone, Utc};
use kernel::clock::MockClock;
use kernel::{DomainError, Result};
use serde_json::Value;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Runs a future whose awaits (mock ports) complete immediately.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

pub(crate) type Shared = Arc<Mutex<Option<StoredConfig>>>;

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 12, 13, 0, 0)
        .single()
        .expect("date")
}

pub(crate) fn t1() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 12, 14, 0, 0)
        .single()
        .expect("date")
}

/// A repository mock backed by `state`; `update` may be called at most `max_updates` times.
pub(crate) fn repo(state: &Shared, max_updates: usize) -> MockConfigRepository {
    let mut repo = MockConfigRepository::new();
    let st = state.clone();
    repo.expect_load()
        .returning(move || Ok(st.lock().expect("lock").clone()));
    let st = state.clone();
    repo.expect_update()
        .times(0..=max_updates)
        .returning(move |apply| {
            let cur = st.lock().expect("lock").clone();
            let new = apply(cur)?;
            *st.lock().expect("lock") = Some(new.clone());
            Ok(new)
        });
    repo
}

pub(crate) fn cipher() -> MockSecretCipher {
    let mut c = MockSecretCipher::new();
    c.expect_encrypt().returning(|p| Ok(format!("enc:{p}")));
    c.expect_decrypt().returning(|s| {
        s.strip_prefix("enc:")
            .map(str::to_string)
            .ok_or_else(|| DomainError::internal("bad"))
    });
    c
}

pub(crate) fn clock(now: DateTime<Utc>) -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().return_const(now);
    c
}

pub(crate) fn service_with(
    state: &Shared,
    max_updates: usize,
    now: DateTime<Utc>,
) -> ConfigService {
    ConfigService::new(
        Arc::new(repo(state, max_updates)),
        Arc::new(cipher()),
        Arc::new(clock(now)),
    )
}

pub(crate) fn service(state: &Shared, max_updates: usize) -> ConfigService {
    service_with(state, max_updates, t1())
}

pub(crate) fn empty() -> Shared {
    Arc::new(Mutex::new(None))
}

pub(crate) fn seeded() -> Shared {
    Arc::new(Mutex::new(Some(StoredConfig::with_defaults(t0()))))
}

pub(crate) fn stored(state: &Shared) -> StoredConfig {
    state.lock().expect("lock").clone().expect("stored row")
}

pub(crate) fn errors(r: Result<impl std::fmt::Debug>) -> Value {
    match r {
        Err(DomainError::Validation(e)) => e.into_json(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

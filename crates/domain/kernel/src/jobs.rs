//! The job-lock port: a background job (auto-close, presence timeout) runs its tick in one
//! process at a time when several instances share a database.
//!
//! The lock is taken for one tick and released when the tick ends, so whichever instance
//! comes next runs the following tick: no instance is "the leader", and a crashed one holds
//! nothing (a PostgreSQL advisory lock held by a transaction dies with its connection).

use crate::Result;
use async_trait::async_trait;
use std::future::Future;
use std::pin::Pin;

/// One tick of a job, ready to run.
pub type JobRun<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

#[async_trait]
pub trait JobLock: Send + Sync {
    /// Runs `job` while holding the lock named `name`, unless another process holds it right
    /// now: then `job` is dropped without running and the answer is `Ok(false)`. The job's
    /// own error is returned as is (the lock is released either way).
    async fn try_run<'a>(&self, name: &'static str, job: JobRun<'a>) -> Result<bool>;
}

/// One process alone: every tick runs (SQLite, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalJobLock;

#[async_trait]
impl JobLock for LocalJobLock {
    async fn try_run<'a>(&self, _name: &'static str, job: JobRun<'a>) -> Result<bool> {
        job.await.map(|()| true)
    }
}

/// A stable 32-bit key for a lock name (FNV-1a), the same in every process and build.
pub fn lock_key(name: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(h.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_lock_always_runs_and_passes_errors_on() {
        let ran = std::sync::atomic::AtomicBool::new(false);
        let r = futures_executor::block_on(LocalJobLock.try_run(
            "x",
            Box::pin(async {
                ran.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }),
        ));
        assert!(r.unwrap() && ran.into_inner());
        let r = futures_executor::block_on(LocalJobLock.try_run(
            "x",
            Box::pin(async { Err(crate::DomainError::internal("boom")) }),
        ));
        assert!(r.is_err());
    }

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        // FNV-1a of "" is its offset basis; these values must never change between releases.
        assert_eq!(
            lock_key(""),
            i32::from_ne_bytes(0x811c_9dc5u32.to_ne_bytes())
        );
        assert_eq!(
            lock_key("atendimento.auto_close"),
            lock_key("atendimento.auto_close")
        );
        assert_ne!(
            lock_key("atendimento.auto_close"),
            lock_key("atendimento.presence_timeout")
        );
    }
}

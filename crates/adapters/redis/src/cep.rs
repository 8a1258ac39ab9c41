//! CEP answers shared by the instances: a [`CepLookup`] in front of the providers that keeps
//! every address found in Redis (`P:cep:<cep8>`, with the cache's TTL), so a CEP looked up on
//! one instance is answered from Redis by every other one instead of calling ViaCEP again.
//!
//! Only addresses are shared (a "not found" or a provider failure is not: the next lookup
//! asks the providers again). Redis down or slow (over the command timeout) is a miss, never
//! an error: the lookup goes to the providers, as with one instance.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kernel::cep::{CepAddress, CepError, CepLookup};
use redis::aio::ConnectionManager;

pub struct RedisCepCache {
    inner: Arc<dyn CepLookup>,
    manager: ConnectionManager,
    prefix: String,
    ttl: Duration,
    timeout: Duration,
}

impl RedisCepCache {
    pub fn new(
        inner: Arc<dyn CepLookup>,
        manager: ConnectionManager,
        prefix: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            inner,
            manager,
            prefix: prefix.to_string(),
            ttl,
            timeout,
        }
    }

    fn key(&self, cep8: &str) -> String {
        format!("{}:cep:{cep8}", self.prefix)
    }

    async fn cached(&self, key: &str) -> Option<CepAddress> {
        let mut conn = self.manager.clone();
        let mut cmd = redis::cmd("GET");
        cmd.arg(key);
        match tokio::time::timeout(self.timeout, cmd.query_async::<Option<String>>(&mut conn)).await
        {
            Ok(Ok(Some(text))) => serde_json::from_str(&text).ok(),
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "redis CEP cache: read failed");
                None
            }
            Err(_) => None,
        }
    }

    async fn store(&self, key: &str, addr: &CepAddress) {
        let Ok(text) = serde_json::to_string(addr) else {
            return;
        };
        let mut conn = self.manager.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(key)
            .arg(text)
            .arg("EX")
            .arg(self.ttl.as_secs().max(1));
        if let Ok(Err(e)) =
            tokio::time::timeout(self.timeout, cmd.query_async::<()>(&mut conn)).await
        {
            tracing::debug!(error = %e, "redis CEP cache: write failed");
        }
    }
}

#[async_trait]
impl CepLookup for RedisCepCache {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        let key = self.key(cep8);
        if let Some(addr) = self.cached(&key).await {
            return Ok(addr);
        }
        let addr = self.inner.lookup(cep8).await?;
        self.store(&key, &addr).await;
        Ok(addr)
    }
}

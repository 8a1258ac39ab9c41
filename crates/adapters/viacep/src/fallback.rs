//! Provider chain: the next provider is asked only when the previous one is unavailable.

use std::sync::Arc;

use async_trait::async_trait;
use kernel::cep::{CepAddress, CepError, CepLookup};

/// Asks each provider in order. A success or a [`CepError::NotFound`] is final (the CEP does not
/// exist: asking elsewhere would only add latency); [`CepError::Unavailable`] moves on to the next
/// provider. When all are unavailable the error lists every cause (for the log).
#[derive(Clone)]
pub struct FallbackLookup {
    providers: Vec<Arc<dyn CepLookup>>,
}

impl FallbackLookup {
    pub fn new(primary: Arc<dyn CepLookup>, secondary: Arc<dyn CepLookup>) -> Self {
        Self {
            providers: vec![primary, secondary],
        }
    }

    /// Any number of providers, asked in the given order.
    pub fn chain(providers: Vec<Arc<dyn CepLookup>>) -> Self {
        Self { providers }
    }
}

#[async_trait]
impl CepLookup for FallbackLookup {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        let mut causes = Vec::new();
        for (i, provider) in self.providers.iter().enumerate() {
            match provider.lookup(cep8).await {
                Err(CepError::Unavailable(cause)) => {
                    tracing::warn!(provider = i, cause = %cause, "CEP provider unavailable");
                    causes.push(cause);
                }
                other => return other,
            }
        }
        if causes.is_empty() {
            return Err(CepError::Unavailable("no CEP provider configured".into()));
        }
        Err(CepError::Unavailable(causes.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::cep::MockCepLookup;
    use serde_json::Map;

    fn ok_addr() -> CepAddress {
        let mut m = Map::new();
        m.insert("cep".into(), "01001-000".into());
        m
    }

    fn mock(result: Result<CepAddress, CepError>, times: usize) -> Arc<dyn CepLookup> {
        let mut m = MockCepLookup::new();
        m.expect_lookup()
            .times(times)
            .returning(move |_| result.clone());
        Arc::new(m)
    }

    #[tokio::test]
    async fn primary_success_skips_secondary() {
        let f = FallbackLookup::new(mock(Ok(ok_addr()), 1), mock(Ok(ok_addr()), 0));
        assert!(f.lookup("01001000").await.is_ok());
    }

    #[tokio::test]
    async fn primary_not_found_is_final() {
        let f = FallbackLookup::new(mock(Err(CepError::NotFound), 1), mock(Ok(ok_addr()), 0));
        assert_eq!(f.lookup("01001000").await, Err(CepError::NotFound));
    }

    #[tokio::test]
    async fn unavailable_falls_through_and_collects_causes() {
        let f = FallbackLookup::new(
            mock(Err(CepError::Unavailable("a".into())), 1),
            mock(Err(CepError::Unavailable("b".into())), 1),
        );
        assert_eq!(
            f.lookup("01001000").await,
            Err(CepError::Unavailable("a; b".into()))
        );
        let f = FallbackLookup::new(
            mock(Err(CepError::Unavailable("a".into())), 1),
            mock(Ok(ok_addr()), 1),
        );
        assert!(f.lookup("01001000").await.is_ok());
        let empty = FallbackLookup::chain(Vec::new());
        assert!(matches!(
            empty.lookup("01001000").await,
            Err(CepError::Unavailable(_))
        ));
    }
}

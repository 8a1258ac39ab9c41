//! CEP lookup adapters implementing [`kernel::cep::CepLookup`]:
//!
//! * [`ViaCepLookup`] — the contract's upstream (`{base}/ws/{cep}/json/`);
//! * [`BrasilApiLookup`] — second provider, answers mapped into the ViaCEP shape;
//! * [`FallbackLookup`] — asks the next provider only when the previous one is unavailable;
//! * [`OfflineLookup`] — small built-in table for CI and offline development;
//! * [`CachedLookup`] — TTL cache of successful answers, timed by the `Clock` port.
//!
//! [`build_from_env`] wires the combination the server uses for `CEP_PROVIDER`.

mod brasilapi;
mod cache;
mod fallback;
mod http;
mod offline;
mod viacep;

use std::sync::Arc;

use kernel::Clock;
use kernel::cep::CepLookup;

pub use brasilapi::BrasilApiLookup;
pub use cache::CachedLookup;
pub use fallback::FallbackLookup;
pub use http::{DEFAULT_TIMEOUT, default_http_client, format_cep, install_tls_provider};
pub use offline::OfflineLookup;
pub use viacep::ViaCepLookup;

/// Builds the lookup selected by `CEP_PROVIDER` (contract §4.10/§7).
///
/// * `offline` → [`OfflineLookup`] (no network at all);
/// * `viacep`, unset, blank or anything else → `Cached(Fallback(ViaCEP, BrasilAPI))` with the
///   public endpoints, 5 s timeouts, a 24 h TTL and 10 000 cache entries.
///
/// Matching is case-insensitive; an unknown value logs a warning and uses the default.
pub fn build_from_env(provider: Option<&str>, clock: Arc<dyn Clock>) -> Arc<dyn CepLookup> {
    build_shared(provider, clock, |providers| providers)
}

/// [`build_from_env`] with `share` between the in-process cache and the online providers
/// (several instances: a cache in Redis that every instance reads and fills).
pub fn build_shared(
    provider: Option<&str>,
    clock: Arc<dyn Clock>,
    share: impl FnOnce(Arc<dyn CepLookup>) -> Arc<dyn CepLookup>,
) -> Arc<dyn CepLookup> {
    let provider = provider.map(|p| p.trim().to_ascii_lowercase());
    match provider.as_deref() {
        Some("offline") => Arc::new(OfflineLookup::new()),
        Some("viacep") | Some("") | None => online(clock, share),
        Some(other) => {
            tracing::warn!(provider = other, "unknown CEP_PROVIDER, using viacep");
            online(clock, share)
        }
    }
}

fn online(
    clock: Arc<dyn Clock>,
    share: impl FnOnce(Arc<dyn CepLookup>) -> Arc<dyn CepLookup>,
) -> Arc<dyn CepLookup> {
    let client = default_http_client();
    let viacep =
        ViaCepLookup::with_client(client.clone(), ViaCepLookup::DEFAULT_BASE, DEFAULT_TIMEOUT);
    let brasil =
        BrasilApiLookup::with_client(client, BrasilApiLookup::DEFAULT_BASE, DEFAULT_TIMEOUT);
    let chain = share(Arc::new(FallbackLookup::new(
        Arc::new(viacep),
        Arc::new(brasil),
    )));
    Arc::new(CachedLookup::new(chain, clock))
}

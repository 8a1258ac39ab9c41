//! Read caches in front of repositories. Each follows the [`kernel::invalidation`] port: its
//! writes publish an invalidation and it drops what any instance's invalidations name, so a
//! shared bus (Redis) can replace the in-process one without touching the caches.

pub mod list_cache;
pub mod session_cache;

pub use list_cache::{
    CLIENTE_LISTS, CachedClienteRepository, CachedGrupoRepository, CachedUnitOfWork, ListCache,
    MAX_AGE,
};
pub use session_cache::CachedSessions;

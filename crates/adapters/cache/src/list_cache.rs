//! A read-through cache of cliente list pages (the hottest read of the product).
//!
//! Correctness rule: every write that can change a list page goes through one of the
//! decorators below, which bump a generation counter *after* the write; a cached page is only
//! served while its generation is current, so a write is visible to the very next list request
//! on this instance. Writes made by another process or instance sharing the database are picked
//! up within [`MAX_AGE`] at most.
//!
//! With [`ListCache::follow`], writes publish an invalidation of [`CLIENTE_LISTS`] through the
//! cache-invalidation port and the generation moves when any instance's invalidation arrives,
//! so a shared bus brings other instances' writes in before `MAX_AGE`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientes::cliente::{Cliente, ClienteData, ClienteResumo, ClienteStats};
use clientes::contato::{Contato, ContatoData};
use clientes::filter::ClienteFilter;
use clientes::grupo::{GrupoData, GrupoEmpresa};
use clientes::ports::{ClienteRepository, ClientesTx, GrupoEmpresaRepository, UnitOfWork};
use kernel::{CacheInvalidation, Invalidation, OrderBy, Page, PageRequest, Result};
use moka::policy::EvictionPolicy;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Upper bound on staleness for writes made outside this process.
pub const MAX_AGE: Duration = Duration::from_secs(2);
/// The cache name in invalidations.
pub const CLIENTE_LISTS: &str = "clientes.lists";
const MAX_ENTRIES: u64 = 4096;

type Entry = (u64, Instant, Arc<Option<Page<ClienteResumo>>>);

pub struct ListCache {
    generation: AtomicU64,
    /// Pages by key: a bounded LRU (moka) whose entries also expire [`MAX_AGE`] after insertion.
    pages: moka::sync::Cache<String, Entry>,
    /// One fill at a time per key: concurrent misses of the same page wait for the first
    /// one instead of all querying the database (no stampede on a cold cache).
    filling: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Where writes are published (see [`Self::follow`]); unset: this cache only.
    bus: OnceLock<Arc<dyn CacheInvalidation>>,
}

impl Default for ListCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            pages: moka::sync::Cache::builder()
                .max_capacity(MAX_ENTRIES)
                .eviction_policy(EvictionPolicy::lru())
                .time_to_live(MAX_AGE)
                .build(),
            filling: Mutex::default(),
            bus: OnceLock::new(),
        }
    }
}

impl ListCache {
    /// A cache that publishes its writes on `bus` and drops its pages on every
    /// [`CLIENTE_LISTS`] invalidation from it.
    pub fn follow(bus: Arc<dyn CacheInvalidation>) -> Arc<Self> {
        let cache = Arc::new(Self::default());
        let weak = Arc::downgrade(&cache);
        bus.subscribe(
            CLIENTE_LISTS,
            Arc::new(move |_: &Invalidation| {
                if let Some(cache) = weak.upgrade() {
                    cache.invalidate();
                }
            }),
        );
        let _ = cache.bus.set(bus);
        cache
    }

    /// A write happened: drops the pages here and, through the bus, everywhere.
    fn written(&self) {
        match self.bus.get() {
            Some(bus) => bus.publish(&Invalidation::all(CLIENTE_LISTS)),
            None => self.invalidate(),
        }
    }

    fn invalidate(&self) {
        // Pages of older generations are never served again; the LRU and `MAX_AGE` drop them.
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self, key: &str) -> Option<Arc<Option<Page<ClienteResumo>>>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let (g, at, page) = self.pages.get(key)?;
        (g == generation && at.elapsed() < MAX_AGE).then_some(page)
    }

    fn put(&self, key: String, generation: u64, page: Arc<Option<Page<ClienteResumo>>>) {
        self.pages.insert(key, (generation, Instant::now(), page));
    }
}

/// Bumps the generation once the wrapped write has finished (successfully or not: a failed
/// write may still have changed rows before failing).
async fn writing<T>(
    cache: &ListCache,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let r = fut.await;
    cache.written();
    r
}

pub struct CachedClienteRepository {
    inner: Arc<dyn ClienteRepository>,
    cache: Arc<ListCache>,
}

impl CachedClienteRepository {
    pub fn new(inner: Arc<dyn ClienteRepository>, cache: Arc<ListCache>) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl ClienteRepository for CachedClienteRepository {
    async fn list(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<Cliente>>> {
        self.inner.list(filter, order, page).await
    }

    async fn list_resumo(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<ClienteResumo>>> {
        let key = format!("{filter:?}|{order:?}|{page:?}");
        if let Some(hit) = self.cache.get(&key) {
            return Ok((*hit).clone());
        }
        let gate = self
            .cache
            .filling
            .lock()
            .map(|mut f| f.entry(key.clone()).or_default().clone())
            .ok();
        let _turn = match &gate {
            Some(g) => Some(g.lock().await),
            None => None,
        };
        if let Some(hit) = self.cache.get(&key) {
            return Ok((*hit).clone());
        }
        let generation = self.cache.generation.load(Ordering::SeqCst);
        let fresh = self.inner.list_resumo(filter, order, page).await;
        if let Ok(fresh) = &fresh {
            self.cache
                .put(key.clone(), generation, Arc::new(fresh.clone()));
        }
        if let Ok(mut f) = self.cache.filling.lock() {
            f.remove(&key);
        }
        fresh
    }

    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Cliente>> {
        self.inner.get(id, owner).await
    }

    async fn insert(&self, data: &ClienteData, criado_por: Option<i64>) -> Result<Cliente> {
        writing(&self.cache, self.inner.insert(data, criado_por)).await
    }

    async fn insert_with_placeholder(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente> {
        writing(
            &self.cache,
            self.inner.insert_with_placeholder(data, criado_por),
        )
        .await
    }

    async fn update(
        &self,
        id: i64,
        data: &ClienteData,
        since: Option<ClienteData>,
        atualizado_por: Option<i64>,
    ) -> Result<Cliente> {
        writing(
            &self.cache,
            self.inner.update(id, data, since, atualizado_por),
        )
        .await
    }

    async fn delete(&self, id: i64) -> Result<()> {
        writing(&self.cache, self.inner.delete(id)).await
    }

    async fn stats(&self, owner: Option<i64>, recent_since: DateTime<Utc>) -> Result<ClienteStats> {
        self.inner.stats(owner, recent_since).await
    }

    async fn cnpj_taken(&self, cnpj: &str, except: Option<i64>) -> Result<bool> {
        self.inner.cnpj_taken(cnpj, except).await
    }

    async fn next_placeholder_seq(&self) -> Result<u32> {
        self.inner.next_placeholder_seq().await
    }

    async fn find_by_cnpj(&self, cnpj: &str) -> Result<Option<Cliente>> {
        self.inner.find_by_cnpj(cnpj).await
    }

    async fn find_by_nome(&self, nome: &str) -> Result<Option<Cliente>> {
        self.inner.find_by_nome(nome).await
    }

    async fn imagem_visivel(&self, path: &str, owner: Option<i64>) -> Result<bool> {
        self.inner.imagem_visivel(path, owner).await
    }
}

/// Group renames and deletions change `grupo_empresa_nome` on list pages.
pub struct CachedGrupoRepository {
    inner: Arc<dyn GrupoEmpresaRepository>,
    cache: Arc<ListCache>,
}

impl CachedGrupoRepository {
    pub fn new(inner: Arc<dyn GrupoEmpresaRepository>, cache: Arc<ListCache>) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl GrupoEmpresaRepository for CachedGrupoRepository {
    async fn list(
        &self,
        search: &[String],
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<GrupoEmpresa>>> {
        self.inner.list(search, order, page).await
    }

    async fn get(&self, id: i64) -> Result<Option<GrupoEmpresa>> {
        self.inner.get(id).await
    }

    async fn insert(&self, data: &GrupoData) -> Result<GrupoEmpresa> {
        self.inner.insert(data).await
    }

    async fn update(
        &self,
        id: i64,
        data: &GrupoData,
        since: Option<GrupoData>,
    ) -> Result<GrupoEmpresa> {
        writing(&self.cache, self.inner.update(id, data, since)).await
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        writing(&self.cache, self.inner.delete(id)).await
    }
}

/// The unit of work's transactions may write clientes (a cadastro's new company, a
/// deletion): a committed one that did bumps the generation.
pub struct CachedUnitOfWork {
    inner: Arc<dyn UnitOfWork>,
    cache: Arc<ListCache>,
}

impl CachedUnitOfWork {
    pub fn new(inner: Arc<dyn UnitOfWork>, cache: Arc<ListCache>) -> Self {
        Self { inner, cache }
    }
}

#[async_trait]
impl UnitOfWork for CachedUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn ClientesTx>> {
        Ok(Box::new(CachedTx {
            inner: self.inner.begin().await?,
            cache: self.cache.clone(),
            writes_clientes: false,
        }))
    }
}

struct CachedTx {
    inner: Box<dyn ClientesTx>,
    cache: Arc<ListCache>,
    writes_clientes: bool,
}

#[async_trait]
impl ClientesTx for CachedTx {
    async fn insert_cliente(
        &mut self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente> {
        self.writes_clientes = true;
        self.inner.insert_cliente(data, criado_por).await
    }

    async fn insert_contato(&mut self, data: &ContatoData) -> Result<Contato> {
        self.inner.insert_contato(data).await
    }

    async fn delete_documentos_do_cliente(&mut self, cliente_id: i64) -> Result<Vec<String>> {
        self.inner.delete_documentos_do_cliente(cliente_id).await
    }

    async fn delete_cliente(&mut self, id: i64) -> Result<()> {
        self.writes_clientes = true;
        self.inner.delete_cliente(id).await
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let r = self.inner.commit().await;
        if self.writes_clientes {
            self.cache.written();
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientes::ports::MockClienteRepository;

    fn page(n: u64) -> Option<Page<ClienteResumo>> {
        Some(Page {
            items: vec![],
            count: n,
            page: 1,
            page_size: 20,
        })
    }

    /// Two caches on one bus stand for two instances: a write through one drops the other's
    /// pages at once (without the bus it would wait for `MAX_AGE`).
    #[tokio::test]
    async fn a_write_on_one_instance_reaches_the_other_through_the_bus() {
        let bus: Arc<dyn CacheInvalidation> = Arc::new(kernel::LocalInvalidations::default());
        let mut reader = MockClienteRepository::new();
        let mut calls = 0;
        reader
            .expect_list_resumo()
            .times(2)
            .returning(move |_, _, _| {
                calls += 1;
                Ok(page(calls))
            });
        let mut writer = MockClienteRepository::new();
        writer.expect_delete().returning(|_| Ok(()));
        let here = CachedClienteRepository::new(Arc::new(reader), ListCache::follow(bus.clone()));
        let there = CachedClienteRepository::new(Arc::new(writer), ListCache::follow(bus));
        let f = ClienteFilter::default();
        let p = PageRequest::default();
        assert_eq!(
            here.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            1
        );
        assert_eq!(
            here.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            1
        );
        there.delete(1).await.unwrap();
        assert_eq!(
            here.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            2,
            "the other instance's write invalidated this cache"
        );
    }

    #[tokio::test]
    async fn serves_hits_until_a_write() {
        let mut inner = MockClienteRepository::new();
        let mut calls = 0;
        inner
            .expect_list_resumo()
            .times(2)
            .returning(move |_, _, _| {
                calls += 1;
                Ok(page(calls))
            });
        inner.expect_delete().returning(|_| Ok(()));
        let repo = CachedClienteRepository::new(Arc::new(inner), Arc::new(ListCache::default()));
        let f = ClienteFilter::default();
        let p = PageRequest::default();
        assert_eq!(
            repo.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            1
        );
        assert_eq!(
            repo.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            1,
            "served from cache"
        );
        repo.delete(1).await.unwrap();
        assert_eq!(
            repo.list_resumo(&f, &[], p).await.unwrap().unwrap().count,
            2,
            "write invalidates"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_misses_fill_once() {
        let mut inner = MockClienteRepository::new();
        inner.expect_list_resumo().times(1).returning(|_, _, _| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(page(1))
        });
        let repo = Arc::new(CachedClienteRepository::new(
            Arc::new(inner),
            Arc::new(ListCache::default()),
        ));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let repo = repo.clone();
            tasks.push(tokio::spawn(async move {
                repo.list_resumo(&ClienteFilter::default(), &[], PageRequest::default())
                    .await
                    .unwrap()
                    .unwrap()
                    .count
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn keys_include_scope_and_page() {
        let mut inner = MockClienteRepository::new();
        inner
            .expect_list_resumo()
            .times(2)
            .returning(|f, _, _| Ok(page(f.owner.unwrap_or(0) as u64)));
        let repo = CachedClienteRepository::new(Arc::new(inner), Arc::new(ListCache::default()));
        let p = PageRequest::default();
        let mine = ClienteFilter {
            owner: Some(7),
            ..Default::default()
        };
        assert_eq!(
            repo.list_resumo(&mine, &[], p)
                .await
                .unwrap()
                .unwrap()
                .count,
            7
        );
        assert_eq!(
            repo.list_resumo(&ClienteFilter::default(), &[], p)
                .await
                .unwrap()
                .unwrap()
                .count,
            0
        );
    }
}

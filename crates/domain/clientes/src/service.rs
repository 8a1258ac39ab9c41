//! Use cases of clientes, grupos de empresa and contatos.

use crate::cliente::{self, CNPJ_TAKEN, Cliente, ClienteData, ClienteResumo, ClienteStats, STATUS};
use crate::commands::{
    ClienteChanges, ClienteQuery, ContatoQuery, CreateContato, CreateGrupo, GrupoQuery, Imagem,
    InvalidCliente, UpdateContato, UpdateGrupo,
};
use crate::contato::{Contato, ContatoData, ContatoFilter, UNIQUE_MSG};
use crate::filter::{ClienteFilter, default_cliente_ordering};
use crate::grupo::{GrupoData, GrupoEmpresa};
use crate::ports::{
    CNPJ_CONSTRAINT, ClienteRepository, ContatoRepository, GrupoEmpresaRepository, UnitOfWork,
};
use chrono::Duration;
use kernel::storage::FileStorage;
use kernel::values::{EmailField, Whatsapp};
use kernel::{Clock, DomainError, FieldErrors, OrderBy, Page, PageRequest, Result, messages as m};
use std::sync::Arc;

fn page_or_404<T>(p: Option<Page<T>>) -> Result<Page<T>> {
    p.ok_or_else(kernel::page::invalid_page)
}

/// A taken CNPJ (the repository names the `cnpj` constraint) is a field error; any other
/// conflict stays what it is.
fn cnpj_conflict(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(c) if c == CNPJ_CONSTRAINT => DomainError::field("cnpj", CNPJ_TAKEN),
        other => other,
    }
}

/// The new values of the image fields of a write, after their files are stored.
#[derive(Debug, Default)]
struct StoredImages {
    logo: Option<Option<String>>,
    assinatura_digital: Option<Option<String>>,
}

impl StoredImages {
    fn apply(&self, data: &mut ClienteData) {
        if let Some(v) = &self.logo {
            data.logo = v.clone();
        }
        if let Some(v) = &self.assinatura_digital {
            data.assinatura_digital = v.clone();
        }
    }

    /// The files stored for this write.
    fn stored(&self) -> impl Iterator<Item = &str> {
        [&self.logo, &self.assinatura_digital]
            .into_iter()
            .filter_map(|p| p.as_ref().and_then(|p| p.as_deref()))
    }
}

/// How many placeholder numbers a creation tries before giving up (only numbers already taken
/// by hand-entered placeholder-shaped CNPJs are skipped).
pub const PLACEHOLDER_ATTEMPTS: usize = 16;

/// `00.000.000/NNNN-00`: a CNPJ placeholder that can never collide with a real one.
pub fn placeholder_cnpj(seq: u32) -> String {
    format!("00.000.000/{seq:04}-00")
}

pub struct ClienteService {
    pub(crate) clientes: Arc<dyn ClienteRepository>,
    grupos: Arc<dyn GrupoEmpresaRepository>,
    clock: Arc<dyn Clock>,
    /// Where the clientes' images are stored (see [`ClienteService::with_storage`]).
    storage: Option<Arc<dyn FileStorage>>,
    /// Writes over several repositories (see [`ClienteService::with_unit_of_work`]).
    uow: Option<Arc<dyn UnitOfWork>>,
}

impl ClienteService {
    pub fn new(
        clientes: Arc<dyn ClienteRepository>,
        grupos: Arc<dyn GrupoEmpresaRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            clientes,
            grupos,
            clock,
            storage: None,
            uow: None,
        }
    }

    /// The transactions of writes over several repositories: a cliente is deleted with its
    /// documentos in one, and their files (in the same storage) are removed once it
    /// commits. Without it a deletion leaves the documentos to the database's cascade and
    /// their files in place.
    pub fn with_unit_of_work(mut self, uow: Arc<dyn UnitOfWork>) -> Self {
        self.uow = Some(uow);
        self
    }

    /// The storage of the clientes' images: stored files then follow the database. An image
    /// uploaded for a refused write, replaced, cleared, or of a deleted cliente is removed.
    pub fn with_storage(mut self, storage: Arc<dyn FileStorage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Removes stored files. Best effort: the database write is what matters, and a leftover
    /// file is harmless.
    async fn discard<'a>(&self, paths: impl Iterator<Item = &'a str>) {
        if let Some(storage) = &self.storage {
            for path in paths {
                let _ = storage.delete(path).await;
            }
        }
    }

    fn page_of(&self, query: ClienteQuery, owner: Option<i64>) -> (ClienteFilter, Vec<OrderBy>) {
        let filter = ClienteFilter {
            owner,
            ..query.filter
        };
        let order = if query.ordering.is_empty() {
            default_cliente_ordering()
        } else {
            query.ordering
        };
        (filter, order)
    }

    pub async fn list(
        &self,
        query: ClienteQuery,
        owner: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<Cliente>> {
        let (filter, order) = self.page_of(query, owner);
        page_or_404(self.clientes.list(&filter, &order, page).await?)
    }

    /// The list page in its list representation (reads only the columns it shows).
    pub async fn list_resumo(
        &self,
        query: ClienteQuery,
        owner: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<ClienteResumo>> {
        let (filter, order) = self.page_of(query, owner);
        page_or_404(self.clientes.list_resumo(&filter, &order, page).await?)
    }

    /// `/clientes/status/{status}/`.
    pub async fn list_by_status(
        &self,
        status: &str,
        mut query: ClienteQuery,
        owner: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<Cliente>> {
        if !STATUS.contains(&status) {
            return Err(cliente::invalid_status());
        }
        query.filter.status = Some(status.to_string());
        self.list(query, owner, page).await
    }

    pub async fn get(&self, id: i64, owner: Option<i64>) -> Result<Cliente> {
        self.clientes
            .get(id, owner)
            .await?
            .ok_or(DomainError::NotFound("Cliente"))
    }

    /// Whether the stored image `path` (`/media/…`) may be served to a caller who sees the
    /// clientes of `owner` (`None`: every cliente, as for superusers and signed links): it
    /// must be the current `logo` or `assinatura_digital` of such a cliente.
    pub async fn imagem_acessivel(&self, path: &str, owner: Option<i64>) -> Result<bool> {
        if !path
            .strip_prefix(cliente::IMAGES_DIR)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            return Ok(false);
        }
        self.clientes.imagem_visivel(path, owner).await
    }

    /// `POST /clientes/`: `changes` applied onto the model defaults; an empty `cnpj` gets a
    /// placeholder. Images sent are checked, then stored; they are removed again when the
    /// write is refused.
    pub async fn create(&self, changes: ClienteChanges, user: i64) -> Result<Cliente> {
        self.validate(&changes, None, FieldErrors::new()).await?;
        let (changes, images) = self.store_images(changes).await?;
        let mut data = ClienteData::defaults(String::new());
        images.apply(&mut data);
        cliente::apply(changes, &mut data);
        let result = self.insert_with_placeholder(data, Some(user)).await;
        if result.is_err() {
            self.discard(images.stored()).await;
        }
        result
    }

    /// The error of a body the edge refused: image files that are not images alone (as
    /// before anything else), else the edge's field errors with the database checks of the
    /// fields that did parse. `id`: the cliente being updated.
    pub async fn invalid(&self, id: Option<i64>, bad: InvalidCliente) -> DomainError {
        match self.validate(&bad.changes, id, bad.errors).await {
            Err(e) => e,
            Ok(()) => DomainError::internal("a refused cliente body without errors"),
        }
    }

    /// Inserts `data`; an empty `cnpj` gets a freshly allocated placeholder.
    ///
    /// The repository allocates the number and inserts in one step (atomically, skipping
    /// numbers taken by hand-entered placeholder-shaped CNPJs), so concurrent creations never
    /// race for a number; a taken real CNPJ is a field error.
    pub async fn insert_with_placeholder(
        &self,
        data: ClienteData,
        user: Option<i64>,
    ) -> Result<Cliente> {
        self.clientes
            .insert_with_placeholder(&data, user)
            .await
            .map_err(cnpj_conflict)
    }

    /// `PUT` and `PATCH` (every field optional for both, as observed), of a cliente visible
    /// to `owner`.
    pub async fn update(
        &self,
        id: i64,
        changes: ClienteChanges,
        user: i64,
        owner: Option<i64>,
    ) -> Result<Cliente> {
        let current = self.get(id, owner).await?;
        self.validate(&changes, Some(id), FieldErrors::new())
            .await?;
        let (changes, images) = self.store_images(changes).await?;
        let mut data = current.data.clone();
        images.apply(&mut data);
        cliente::apply(changes, &mut data);
        // Only the fields this request changed are written: a concurrent update of other
        // fields survives (PUT merges the sent fields too, as observed).
        let updated = match self
            .clientes
            .update(id, &data, Some(current.data.clone()), Some(user))
            .await
            .map_err(cnpj_conflict)
        {
            Ok(updated) => updated,
            Err(e) => {
                self.discard(images.stored()).await;
                return Err(e);
            }
        };
        // Images replaced or cleared by this update are no longer referenced by anything.
        let kept: Vec<&str> = cliente::images(&updated.data).collect();
        self.discard(cliente::images(&current.data).filter(|p| !kept.contains(p)))
            .await;
        Ok(updated)
    }

    /// Deletes a cliente visible to `owner` with its documentos, in one transaction; its
    /// images and its documentos' files are removed once it commits.
    pub async fn delete(&self, id: i64, owner: Option<i64>) -> Result<()> {
        let current = self.get(id, owner).await?;
        let arquivos = match &self.uow {
            Some(uow) => {
                let mut tx = uow.begin().await?;
                let arquivos = tx.delete_documentos_do_cliente(id).await?;
                tx.delete_cliente(id).await?;
                tx.commit().await?;
                arquivos
            }
            None => {
                self.clientes.delete(id).await?;
                Vec::new()
            }
        };
        self.discard(cliente::images(&current.data)).await;
        self.discard(arquivos.iter().map(String::as_str)).await;
        Ok(())
    }

    /// `PATCH /clientes/{id}/status/`: `status` must be one of [`STATUS`].
    pub async fn set_status(
        &self,
        id: i64,
        status: &str,
        user: i64,
        owner: Option<i64>,
    ) -> Result<Cliente> {
        let current = self.get(id, owner).await?;
        if !STATUS.contains(&status) {
            return Err(cliente::invalid_status());
        }
        let mut data = current.data.clone();
        data.status = status.to_string();
        self.clientes
            .update(id, &data, Some(current.data.clone()), Some(user))
            .await
    }

    pub async fn stats(&self, owner: Option<i64>) -> Result<ClienteStats> {
        let since = self.clock.now() - Duration::days(30);
        let mut s = self.clientes.stats(owner, since).await?;
        for st in STATUS {
            s.por_status.entry(st.to_string()).or_insert(0);
        }
        for r in cliente::REGIMES {
            s.por_regime_tributario.entry(r.to_string()).or_insert(0);
        }
        Ok(s)
    }

    /// The checks of a write beyond its fields' own: image files must be images (reported
    /// alone: nothing else is checked then), the grupo de empresa must exist and the CNPJ
    /// must be free. `errors`: those already found by the edge.
    async fn validate(
        &self,
        changes: &ClienteChanges,
        id: Option<i64>,
        mut errors: FieldErrors,
    ) -> Result<()> {
        let mut not_images = FieldErrors::new();
        for (field, image) in [
            ("logo", &changes.logo),
            ("assinatura_digital", &changes.assinatura_digital),
        ] {
            if let Some(Imagem::Enviar(f)) = image
                && !cliente::is_image(&f.data)
            {
                not_images.add(field, cliente::NOT_AN_IMAGE);
            }
        }
        not_images.into_result()?;
        if let Some(Some(g)) = changes.grupo_empresa
            && self.grupos.get(g).await?.is_none()
        {
            errors.add("grupo_empresa", m::invalid_pk(&g.to_string()));
        }
        if let Some(cnpj) = &changes.cnpj
            && self.clientes.cnpj_taken(cnpj.as_str(), id).await?
        {
            errors.add("cnpj", CNPJ_TAKEN);
        }
        errors.into_result()
    }

    /// Stores the images `changes` sends (checked by [`ClienteService::validate`]); returns
    /// the other changes and the images' new values.
    async fn store_images(
        &self,
        mut changes: ClienteChanges,
    ) -> Result<(ClienteChanges, StoredImages)> {
        let logo = changes.logo.take();
        let assinatura = changes.assinatura_digital.take();
        let mut images = StoredImages::default();
        images.logo = match self.store_image(logo).await {
            Ok(v) => v,
            Err(e) => return Err(e),
        };
        images.assinatura_digital = match self.store_image(assinatura).await {
            Ok(v) => v,
            Err(e) => {
                // The logo may be stored already.
                self.discard(images.stored()).await;
                return Err(e);
            }
        };
        Ok((changes, images))
    }

    /// The new value of one image field, its file stored.
    async fn store_image(&self, image: Option<Imagem>) -> Result<Option<Option<String>>> {
        match image {
            None => Ok(None),
            Some(Imagem::Remover) => Ok(Some(None)),
            Some(Imagem::Enviar(f)) => {
                let storage = self
                    .storage
                    .as_ref()
                    .ok_or_else(|| DomainError::internal("no storage for the clientes' images"))?;
                let path = storage
                    .save(cliente::IMAGES_DIR, &f.filename, &f.data)
                    .await?;
                Ok(Some(Some(path)))
            }
        }
    }

    // ----- grupos de empresa -----

    pub async fn list_grupos(
        &self,
        query: GrupoQuery,
        page: PageRequest,
    ) -> Result<Page<GrupoEmpresa>> {
        let order = if query.ordering.is_empty() {
            vec![OrderBy::asc("nome")]
        } else {
            query.ordering
        };
        page_or_404(self.grupos.list(&query.search, &order, page).await?)
    }

    pub async fn get_grupo(&self, id: i64) -> Result<GrupoEmpresa> {
        self.grupos
            .get(id)
            .await?
            .ok_or(DomainError::NotFound("GrupoEmpresa"))
    }

    pub async fn create_grupo(&self, cmd: CreateGrupo) -> Result<GrupoEmpresa> {
        let data = GrupoData {
            nome: cmd.nome,
            descricao: cmd.descricao,
            ativo: cmd.ativo,
        };
        self.grupos.insert(&data).await
    }

    /// `PUT` (the edge requires `nome`) or `PATCH`.
    pub async fn update_grupo(&self, id: i64, cmd: UpdateGrupo) -> Result<GrupoEmpresa> {
        let g = self.get_grupo(id).await?;
        let read = GrupoData {
            nome: g.nome,
            descricao: g.descricao,
            ativo: g.ativo,
        };
        let data = GrupoData {
            nome: cmd.nome.unwrap_or_else(|| read.nome.clone()),
            descricao: cmd.descricao.unwrap_or_else(|| read.descricao.clone()),
            ativo: cmd.ativo.unwrap_or(read.ativo),
        };
        // Only the fields that changed are written, so a concurrent update of other fields
        // survives (PUT included: the edge made it send every field).
        self.grupos.update(id, &data, Some(read)).await
    }

    pub async fn delete_grupo(&self, id: i64) -> Result<()> {
        if self.grupos.delete(id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("GrupoEmpresa"))
        }
    }
}

/// Contatos CRUD (scope: active rows; non-superusers only contatos of active clientes).
pub struct ContatoService {
    contatos: Arc<dyn ContatoRepository>,
    clientes: Arc<dyn ClienteRepository>,
}

impl ContatoService {
    pub fn new(contatos: Arc<dyn ContatoRepository>, clientes: Arc<dyn ClienteRepository>) -> Self {
        Self { contatos, clientes }
    }

    pub async fn list(
        &self,
        query: ContatoQuery,
        superuser: bool,
        page: PageRequest,
    ) -> Result<Page<Contato>> {
        let filter = ContatoFilter {
            only_active_clientes: !superuser,
            ..query.filter
        };
        let order = if query.ordering.is_empty() {
            vec![OrderBy::asc("nome")]
        } else {
            query.ordering
        };
        page_or_404(self.contatos.list(&filter, &order, page).await?)
    }

    pub async fn get(&self, id: i64, superuser: bool) -> Result<Contato> {
        self.contatos
            .get(id, !superuser)
            .await?
            .ok_or(DomainError::NotFound("ContatoCliente"))
    }

    pub async fn create(&self, cmd: CreateContato) -> Result<Contato> {
        self.check_cliente(Some(cmd.cliente), FieldErrors::new())
            .await?;
        let data = ContatoData {
            cliente: cmd.cliente,
            nome: cmd.nome,
            cargo: cmd.cargo,
            whatsapp: cmd.whatsapp.into_string(),
            email: cmd.email.into_stored(),
            ativo: cmd.ativo,
        };
        self.contatos.insert(&data).await.map_err(unique_error)
    }

    /// `PUT` (the edge requires `cliente`, `nome` and `whatsapp`) or `PATCH`.
    pub async fn update(&self, id: i64, cmd: UpdateContato, superuser: bool) -> Result<Contato> {
        let current = self.get(id, superuser).await?.data;
        self.check_cliente(cmd.cliente, FieldErrors::new()).await?;
        let data = ContatoData {
            cliente: cmd.cliente.unwrap_or(current.cliente),
            nome: cmd.nome.unwrap_or_else(|| current.nome.clone()),
            cargo: cmd.cargo.unwrap_or_else(|| current.cargo.clone()),
            whatsapp: cmd
                .whatsapp
                .map_or_else(|| current.whatsapp.clone(), Whatsapp::into_string),
            email: cmd
                .email
                .map_or_else(|| current.email.clone(), EmailField::into_stored),
            ativo: cmd.ativo.unwrap_or(current.ativo),
        };
        // Only the fields that changed are written, so a concurrent update of other fields
        // survives.
        self.contatos
            .update(id, &data, Some(current))
            .await
            .map_err(unique_error)
    }

    /// The error for a contato body the edge could not parse: DRF validates every field at
    /// once, so the syntax `errors` come with the check of the `cliente` that did parse.
    /// `update` (an id and the caller's scope) must name a visible contato, checked first.
    pub async fn invalid(
        &self,
        update: Option<(i64, bool)>,
        errors: FieldErrors,
        cliente: Option<i64>,
    ) -> DomainError {
        if let Some((id, superuser)) = update
            && let Err(e) = self.get(id, superuser).await
        {
            return e;
        }
        match self.check_cliente(cliente, errors).await {
            Ok(()) => DomainError::internal("contato body refused without an error"),
            Err(e) => e,
        }
    }

    pub async fn delete(&self, id: i64, superuser: bool) -> Result<()> {
        self.get(id, superuser).await?;
        self.contatos.deactivate(id).await
    }

    /// Adds an error when `cliente` names no cliente to `errors`, then fails when there are
    /// any.
    async fn check_cliente(&self, cliente: Option<i64>, mut errors: FieldErrors) -> Result<()> {
        if let Some(id) = cliente
            && self.clientes.get(id, None).await?.is_none()
        {
            errors.add("cliente", m::invalid_pk(&id.to_string()));
        }
        errors.into_result()
    }
}

fn unique_error(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(_) => DomainError::field("non_field_errors", UNIQUE_MSG),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClienteRepository, MockContatoRepository, MockGrupoEmpresaRepository};
    use chrono::Utc;
    use futures_executor::block_on;
    use kernel::clock::MockClock;
    use serde_json::json;

    fn clock() -> Arc<MockClock> {
        let mut c = MockClock::new();
        c.expect_now().returning(Utc::now);
        Arc::new(c)
    }

    fn stored(data: &ClienteData, by: Option<i64>) -> Cliente {
        Cliente {
            id: 1,
            data: data.clone(),
            grupo_empresa_nome: None,
            criado_em: Utc::now(),
            atualizado_em: Utc::now(),
            criado_por: by,
            atualizado_por: None,
        }
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn enviar(name: &str, data: &[u8]) -> Option<Imagem> {
        Some(Imagem::Enviar(crate::commands::ImagemEnviada {
            filename: name.into(),
            data: data.to_vec(),
        }))
    }

    /// A storage that stores `saves` (name → path) and expects exactly `deletes`.
    fn storage(
        saves: &[(&'static str, &'static str)],
        deletes: &[&'static str],
    ) -> Arc<kernel::storage::MockFileStorage> {
        let mut storage = kernel::storage::MockFileStorage::new();
        for &(name, path) in saves {
            let path = path.to_string();
            storage
                .expect_save()
                .withf(move |dir, n, _| dir == cliente::IMAGES_DIR && n == name)
                .times(1)
                .returning(move |_, _, _| Ok(path.clone()));
        }
        for p in deletes {
            storage
                .expect_delete()
                .with(mockall::predicate::eq(*p))
                .times(1)
                .returning(|_| Ok(()));
        }
        Arc::new(storage)
    }

    /// The service hands allocation and insertion to the repository in one call.
    fn allocating_repo(
        result: impl Fn(&ClienteData, Option<i64>) -> Result<Cliente> + Send + 'static,
    ) -> MockClienteRepository {
        let mut repo = MockClienteRepository::new();
        repo.expect_next_placeholder_seq().never();
        repo.expect_insert().never();
        repo.expect_insert_with_placeholder()
            .times(1)
            .returning(move |d, by| result(d, by));
        repo
    }

    #[test]
    fn imagem_acessivel_asks_the_owner_and_only_for_image_files() {
        let mut repo = MockClienteRepository::new();
        repo.expect_imagem_visivel()
            .withf(|p, owner| p == "clientes/imagens/l.png" && *owner == Some(3))
            .times(1)
            .returning(|_, _| Ok(false));
        repo.expect_imagem_visivel()
            .withf(|p, owner| p == "clientes/imagens/l.png" && owner.is_none())
            .times(1)
            .returning(|_, _| Ok(true));
        let s = service(repo);
        assert!(!block_on(s.imagem_acessivel("clientes/imagens/l.png", Some(3))).unwrap());
        assert!(block_on(s.imagem_acessivel("clientes/imagens/l.png", None)).unwrap());
        for other in [
            "clientes/documentos/a.pdf",
            "clientes/imagensx/l.png",
            "l.png",
        ] {
            assert!(!block_on(s.imagem_acessivel(other, None)).unwrap());
        }
    }

    fn service(repo: MockClienteRepository) -> ClienteService {
        ClienteService::new(
            Arc::new(repo),
            Arc::new(MockGrupoEmpresaRepository::new()),
            clock(),
        )
    }

    /// A storage that expects exactly these deletions.
    fn storage_deleting(paths: &[&'static str]) -> Arc<kernel::storage::MockFileStorage> {
        let mut storage = kernel::storage::MockFileStorage::new();
        for p in paths {
            storage
                .expect_delete()
                .with(mockall::predicate::eq(*p))
                .times(1)
                .returning(|_| Ok(()));
        }
        Arc::new(storage)
    }

    fn with_logo(logo: Option<&str>) -> ClienteData {
        let mut d = ClienteData::defaults("11.222.333/0001-81".into());
        d.logo = logo.map(str::to_string);
        d.assinatura_digital = Some("clientes/imagens/assinatura.png".into());
        d
    }

    #[test]
    fn an_update_removes_the_images_it_replaced_or_cleared() {
        for (changes, saves, gone) in [
            (
                ClienteChanges {
                    logo: enviar("novo.png", PNG),
                    ..Default::default()
                },
                vec![("novo.png", "clientes/imagens/novo.png")],
                "clientes/imagens/velho.png",
            ),
            (
                ClienteChanges {
                    logo: Some(Imagem::Remover),
                    ..Default::default()
                },
                vec![],
                "clientes/imagens/velho.png",
            ),
        ] {
            let mut repo = MockClienteRepository::new();
            repo.expect_get().returning(|_, _| {
                Ok(Some(stored(
                    &with_logo(Some("clientes/imagens/velho.png")),
                    None,
                )))
            });
            let expected = if saves.is_empty() {
                None
            } else {
                Some("clientes/imagens/novo.png")
            };
            repo.expect_update()
                .withf(move |_, d, _, _| d.logo.as_deref() == expected)
                .returning(|_, d, _, by| Ok(stored(d, by)));
            let s = service(repo).with_storage(storage(&saves, &[gone]));
            block_on(s.update(1, changes, 7, None)).unwrap();
        }
        // An update that keeps the images removes nothing.
        let mut repo = MockClienteRepository::new();
        repo.expect_get().returning(|_, _| {
            Ok(Some(stored(
                &with_logo(Some("clientes/imagens/velho.png")),
                None,
            )))
        });
        repo.expect_update()
            .returning(|_, d, _, by| Ok(stored(d, by)));
        let s = service(repo).with_storage(storage_deleting(&[]));
        let changes = ClienteChanges {
            nome_fantasia: Some(Some("Padaria".into())),
            ..Default::default()
        };
        block_on(s.update(1, changes, 7, None)).unwrap();
    }

    /// A file that is not an image is refused before anything is stored, and alone: the
    /// other checks do not run.
    #[test]
    fn a_file_that_is_not_an_image_is_refused_before_storing() {
        let mut repo = MockClienteRepository::new();
        repo.expect_cnpj_taken().never();
        repo.expect_insert_with_placeholder().never();
        let s = service(repo).with_storage(storage(&[], &[]));
        let changes = ClienteChanges {
            logo: enviar("a.png", PNG),
            assinatura_digital: enviar("b.png", b"not an image"),
            cnpj: Some(kernel::values::Cnpj::parse_formatted("11.222.333/0001-81").unwrap()),
            ..Default::default()
        };
        match block_on(s.create(changes.clone(), 7)).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"assinatura_digital":[cliente::NOT_AN_IMAGE]})
            ),
            other => panic!("{other:?}"),
        }
        let bad = InvalidCliente {
            errors: FieldErrors::single("razao_social", m::BLANK),
            changes,
        };
        match block_on(s.invalid(None, bad)) {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"assinatura_digital":[cliente::NOT_AN_IMAGE]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_write_removes_the_images_stored_for_it() {
        // The repository refuses the update (the CNPJ was taken meanwhile).
        let mut repo = MockClienteRepository::new();
        repo.expect_get().returning(|_, _| {
            Ok(Some(stored(
                &with_logo(Some("clientes/imagens/velho.png")),
                None,
            )))
        });
        repo.expect_cnpj_taken().returning(|_, _| Ok(false));
        repo.expect_update()
            .returning(|_, _, _, _| Err(DomainError::Conflict(CNPJ_CONSTRAINT.into())));
        let s = service(repo).with_storage(storage(
            &[("novo.png", "clientes/imagens/novo.png")],
            &["clientes/imagens/novo.png"],
        ));
        let changes = ClienteChanges {
            logo: enviar("novo.png", PNG),
            cnpj: Some(kernel::values::Cnpj::parse_formatted("11.222.333/0001-81").unwrap()),
            ..Default::default()
        };
        match block_on(s.update(1, changes.clone(), 7, None)).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(e.to_json(), json!({"cnpj":[CNPJ_TAKEN]})),
            other => panic!("{other:?}"),
        }
        // A creation refused by the repository for another reason.
        let mut repo = MockClienteRepository::new();
        repo.expect_cnpj_taken().returning(|_, _| Ok(false));
        repo.expect_insert_with_placeholder()
            .times(1)
            .returning(|_, _| Err(DomainError::internal("disk full")));
        let s = service(repo).with_storage(storage(
            &[("novo.png", "clientes/imagens/novo.png")],
            &["clientes/imagens/novo.png"],
        ));
        assert!(matches!(
            block_on(s.create(changes, 7)),
            Err(DomainError::Internal(_))
        ));
    }

    /// Only the conflict of the CNPJ's constraint is the CNPJ error.
    #[test]
    fn other_conflicts_are_not_the_cnpj_error() {
        let mut repo = MockClienteRepository::new();
        repo.expect_get()
            .returning(|_, _| Ok(Some(stored(&with_logo(None), None))));
        repo.expect_update()
            .returning(|_, _, _, _| Err(DomainError::Conflict("contatos.whatsapp".into())));
        let s = service(repo);
        assert!(matches!(
            block_on(s.update(1, ClienteChanges::default(), 7, None)),
            Err(DomainError::Conflict(c)) if c == "contatos.whatsapp"
        ));
    }

    #[test]
    fn deleting_a_cliente_removes_its_images() {
        let mut repo = MockClienteRepository::new();
        repo.expect_get().returning(|_, _| {
            Ok(Some(stored(
                &with_logo(Some("clientes/imagens/velho.png")),
                None,
            )))
        });
        repo.expect_delete().times(1).returning(|_| Ok(()));
        let s = service(repo).with_storage(storage_deleting(&[
            "clientes/imagens/velho.png",
            "clientes/imagens/assinatura.png",
        ]));
        block_on(s.delete(1, None)).unwrap();
    }

    /// The cliente and its documentos go in one transaction, their files after it commits; a
    /// cliente the caller cannot see is a 404 that touches nothing, and a failed deletion
    /// rolls back and removes no file.
    #[test]
    fn deleting_a_cliente_removes_its_documentos_in_one_transaction() {
        let mut repo = MockClienteRepository::new();
        repo.expect_get().returning(|id, owner| {
            Ok((owner != Some(9)).then(|| {
                let mut c = stored(&with_logo(None), None);
                c.id = id;
                c
            }))
        });
        repo.expect_delete().never();
        let mut uow = crate::fake_uow::FakeUow::new(
            |_| Err(DomainError::internal("unused")),
            |_| Err(DomainError::internal("unused")),
        );
        uow.arquivos = vec!["clientes/documentos/a.pdf".into()];
        let uow = Arc::new(uow);
        let s = service(repo)
            .with_storage(storage_deleting(&[
                "clientes/imagens/assinatura.png",
                "clientes/documentos/a.pdf",
            ]))
            .with_unit_of_work(uow.clone());
        assert!(matches!(
            block_on(s.delete(1, Some(9))),
            Err(DomainError::NotFound(_))
        ));
        assert!(uow.steps().is_empty());
        block_on(s.delete(1, None)).unwrap();
        assert_eq!(
            uow.steps(),
            ["begin", "delete_documentos:1", "delete_cliente:1", "commit"]
        );
        // The fake's cliente 404 vanished meanwhile: rolled back, no file removed (the
        // storage expects exactly the deletions above).
        assert!(matches!(
            block_on(s.delete(404, None)),
            Err(DomainError::NotFound("Cliente"))
        ));
        assert_eq!(uow.steps().last().map(String::as_str), Some("rollback"));
    }

    #[test]
    fn create_without_cnpj_gets_an_allocated_placeholder() {
        let s = service(allocating_repo(|d, by| {
            assert_eq!(d.cnpj, "");
            let mut d = d.clone();
            d.cnpj = placeholder_cnpj(7);
            Ok(stored(&d, by))
        }));
        let changes = ClienteChanges {
            razao_social: Some("ACME".into()),
            ..Default::default()
        };
        let c = block_on(s.create(changes, 9)).unwrap();
        assert_eq!(c.data.cnpj, "00.000.000/0007-00");
        assert_eq!(c.criado_por, Some(9));
        assert_eq!(c.data.responsavel_legal_cpf, "000.000.000-00");
    }

    #[test]
    fn placeholder_exhaustion_stays_internal() {
        let s = service(allocating_repo(|_, _| {
            Err(DomainError::internal(
                "could not allocate a placeholder CNPJ",
            ))
        }));
        assert!(matches!(
            block_on(s.insert_with_placeholder(ClienteData::defaults(String::new()), None)),
            Err(DomainError::Internal(_))
        ));
    }

    #[test]
    fn real_cnpj_conflict_is_a_field_error_without_allocation() {
        let s = service(allocating_repo(|d, _| {
            assert_eq!(d.cnpj, "11.222.333/0001-81");
            Err(DomainError::Conflict(CNPJ_CONSTRAINT.into()))
        }));
        match block_on(
            s.insert_with_placeholder(ClienteData::defaults("11.222.333/0001-81".into()), None),
        )
        .unwrap_err()
        {
            DomainError::Validation(e) => assert_eq!(e.to_json(), json!({"cnpj":[CNPJ_TAKEN]})),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_cnpj_and_unknown_group_are_field_errors() {
        let mut repo = MockClienteRepository::new();
        repo.expect_cnpj_taken().returning(|_, _| Ok(true));
        let mut grupos = MockGrupoEmpresaRepository::new();
        grupos.expect_get().returning(|_| Ok(None));
        let s = ClienteService::new(Arc::new(repo), Arc::new(grupos), clock());
        let changes = ClienteChanges {
            cnpj: Some(kernel::values::Cnpj::parse_formatted("11.222.333/0001-81").unwrap()),
            grupo_empresa: Some(Some(5)),
            ..Default::default()
        };
        match block_on(s.create(changes, 1)).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"cnpj":[CNPJ_TAKEN],"grupo_empresa":["Pk inválido \"5\" - objeto não existe."]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn status_rules() {
        let mut repo = MockClienteRepository::new();
        repo.expect_get()
            .returning(|_, _| Ok(Some(stored(&ClienteData::defaults("x".into()), Some(1)))));
        repo.expect_update()
            .returning(|_, d, _, _| Ok(stored(d, Some(1))));
        let s = ClienteService::new(
            Arc::new(repo),
            Arc::new(MockGrupoEmpresaRepository::new()),
            clock(),
        );
        let c = block_on(s.set_status(1, "suspenso", 1, None)).unwrap();
        assert_eq!(c.data.status, "suspenso");
        match block_on(s.set_status(1, "x", 1, None)).unwrap_err() {
            DomainError::BadRequest(m) => {
                assert_eq!(
                    m,
                    "Status inválido. Opções: ['ativo', 'inativo', 'suspenso', 'bloqueado']"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            block_on(s.list_by_status("x", ClienteQuery::default(), None, PageRequest::default())),
            Err(DomainError::BadRequest(_))
        ));
    }

    /// The caller's scope replaces any owner in the query; no ordering is the newest first.
    #[test]
    fn lists_take_the_callers_scope_and_the_default_ordering() {
        let mut repo = MockClienteRepository::new();
        repo.expect_list_resumo()
            .withf(|f, order, _| {
                f.owner == Some(4) && f.search == ["acme"] && order == [OrderBy::desc("criado_em")]
            })
            .times(1)
            .returning(|_, _, _| Ok(None));
        let s = service(repo);
        let query = ClienteQuery {
            filter: ClienteFilter {
                owner: Some(99),
                search: vec!["acme".into()],
                ..Default::default()
            },
            ordering: Vec::new(),
        };
        assert!(matches!(
            block_on(s.list_resumo(query, Some(4), PageRequest::default())),
            Err(DomainError::InvalidPage)
        ));
    }

    #[test]
    fn scoped_get_is_404() {
        let mut repo = MockClienteRepository::new();
        repo.expect_get()
            .withf(|id, owner| *id == 3 && *owner == Some(2))
            .returning(|_, _| Ok(None));
        let s = ClienteService::new(
            Arc::new(repo),
            Arc::new(MockGrupoEmpresaRepository::new()),
            clock(),
        );
        assert!(matches!(
            block_on(s.get(3, Some(2))),
            Err(DomainError::NotFound("Cliente"))
        ));
    }

    #[test]
    fn stats_fill_every_status_and_regime() {
        let mut repo = MockClienteRepository::new();
        repo.expect_stats().returning(|_, _| {
            Ok(ClienteStats {
                total: 1,
                ..Default::default()
            })
        });
        let s = ClienteService::new(
            Arc::new(repo),
            Arc::new(MockGrupoEmpresaRepository::new()),
            clock(),
        );
        let st = block_on(s.stats(None)).unwrap();
        assert_eq!(st.por_status.len(), 4);
        assert_eq!(st.por_regime_tributario.len(), 5);
    }

    #[test]
    fn contato_rules() {
        let mut contatos = MockContatoRepository::new();
        contatos
            .expect_insert()
            .returning(|_| Err(DomainError::Conflict("u".into())));
        let mut clientes = MockClienteRepository::new();
        clientes.expect_get().returning(|id, _| {
            Ok((id == 1).then(|| stored(&ClienteData::defaults("x".into()), None)))
        });
        let s = ContatoService::new(Arc::new(contatos), Arc::new(clientes));
        let contato = |cliente| CreateContato {
            cliente,
            nome: "Ana".into(),
            cargo: None,
            whatsapp: Whatsapp::parse("+5511999999999").unwrap(),
            email: EmailField::Null,
            ativo: true,
        };
        match block_on(s.create(contato(1))).unwrap_err() {
            DomainError::Validation(e) => {
                assert_eq!(e.to_json(), json!({"non_field_errors":[UNIQUE_MSG]}))
            }
            other => panic!("{other:?}"),
        }
        match block_on(s.create(contato(2))).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"cliente":["Pk inválido \"2\" - objeto não existe."]})
            ),
            other => panic!("{other:?}"),
        }
        // A body the edge refused is reported with the check of its cliente.
        let errors = FieldErrors::single("nome", m::REQUIRED);
        match block_on(s.invalid(None, errors, Some(2))) {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"nome":[m::REQUIRED],"cliente":["Pk inválido \"2\" - objeto não existe."]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn contato_updates_merge_onto_the_visible_row() {
        let mut contatos = MockContatoRepository::new();
        let row = Contato {
            id: 4,
            data: ContatoData {
                cliente: 1,
                nome: "Ana".into(),
                cargo: Some("Chefe".into()),
                whatsapp: "+5511999999999".into(),
                email: Some("a@x.com".into()),
                ativo: true,
            },
            cliente_nome: String::new(),
            criado_em: Utc::now(),
            atualizado_em: Utc::now(),
        };
        let visible = row.clone();
        contatos
            .expect_get()
            .returning(move |id, _| Ok((id == 4).then(|| visible.clone())));
        contatos
            .expect_update()
            .withf(|_, d, since| {
                d.nome == "Ana"
                    && d.cargo.is_none()
                    && d.email.as_deref() == Some("")
                    && d.whatsapp == "+5511999999999"
                    && since.as_ref().is_some_and(|read| read.nome == "Ana")
            })
            .returning(move |_, _, _| Ok(row.clone()));
        let s = ContatoService::new(Arc::new(contatos), Arc::new(MockClienteRepository::new()));
        let cmd = UpdateContato {
            cargo: Some(None),
            email: Some(EmailField::Blank),
            ..Default::default()
        };
        block_on(s.update(4, cmd.clone(), true)).unwrap();
        assert!(matches!(
            block_on(s.update(5, cmd, true)),
            Err(DomainError::NotFound("ContatoCliente"))
        ));
        assert!(matches!(
            block_on(s.invalid(Some((5, false)), FieldErrors::new(), None)),
            DomainError::NotFound("ContatoCliente")
        ));
    }
}

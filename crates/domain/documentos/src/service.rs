//! CRUD use cases of `/api/v1/documentos/`: the rules live here so handlers stay thin.

use crate::MODEL_NAME;
use crate::commands::{DocumentoForm, VENCIMENTO_PASSADO};
use crate::filter::{DocumentoFilter, DocumentoScope};
use crate::model::{Documento, NewDocumento, formatar_tamanho, today};
use crate::ports::DocumentoRepository;
use chrono::NaiveDate;
use kernel::storage::FileStorage;
use kernel::{Clock, DomainError, FieldErrors, Page, PageRequest, Result, messages};
use std::sync::Arc;

/// Document CRUD. Uploaded files are streamed to [`FileStorage`] by the handler (under
/// [`crate::STORAGE_DIR`], with the 20 MiB limit) before calling `criar`/`atualizar`; when the
/// write is refused the service deletes the stored file, so no orphan is left.
pub struct DocumentoService {
    repo: Arc<dyn DocumentoRepository>,
    storage: Arc<dyn FileStorage>,
    clock: Arc<dyn Clock>,
}

impl DocumentoService {
    pub fn new(
        repo: Arc<dyn DocumentoRepository>,
        storage: Arc<dyn FileStorage>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            storage,
            clock,
        }
    }

    /// Today in São Paulo (for `is_vencido`).
    pub fn hoje(&self) -> NaiveDate {
        today(self.clock.as_ref())
    }

    /// `GET /documentos/` — filters already parsed with [`DocumentoFilter::from_query`].
    pub async fn listar(
        &self,
        filter: &DocumentoFilter,
        page: PageRequest,
    ) -> Result<Page<Documento>> {
        self.repo.list(filter, page).await
    }

    /// `GET /documentos/{id}/` — 404 `DocumentoCliente` outside the scope.
    pub async fn obter(&self, id: i64, scope: &DocumentoScope) -> Result<Documento> {
        self.repo
            .get(id, scope)
            .await?
            .ok_or(DomainError::NotFound(MODEL_NAME))
    }

    /// Whether the stored file `path` may be served (`/media/…`) to a caller whose documentos
    /// are `scope`: it must be the current file of an active documento within that scope. A
    /// soft-deleted documento's file, a file a later upload replaced, and any other file under
    /// [`STORAGE_DIR`] are never served. A signed link (issued with a documento) is checked
    /// with [`DocumentoScope::Superuser`]: the documento must still be active.
    pub async fn arquivo_acessivel(&self, path: &str, scope: &DocumentoScope) -> Result<bool> {
        if !path
            .strip_prefix(crate::STORAGE_DIR)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            return Ok(false);
        }
        self.repo.arquivo_visivel(path, scope).await
    }

    /// `tamanho_arquivo` of a document (`"Arquivo não encontrado"` when the file is gone).
    pub async fn tamanho_arquivo(&self, documento: &Documento) -> String {
        formatar_tamanho(self.storage.size(&documento.arquivo).await)
    }

    /// `POST /documentos/`. `arquivo` = path of the already stored upload (`None` when the body
    /// had no file). `usuario_upload` is forced to the caller; `ativo` defaults to true.
    pub async fn criar(
        &self,
        form: DocumentoForm,
        arquivo: Option<String>,
        usuario_id: i64,
    ) -> Result<Documento> {
        let resultado = self.criar_interno(form, arquivo.clone(), usuario_id).await;
        if resultado.is_err() {
            self.descartar(arquivo.as_deref()).await;
        }
        resultado
    }

    async fn criar_interno(
        &self,
        form: DocumentoForm,
        arquivo: Option<String>,
        usuario_id: i64,
    ) -> Result<Documento> {
        let DocumentoForm {
            changes: c,
            errors: mut erros,
        } = self.checar_vencimento(form);
        if arquivo.is_none() {
            erros.add("arquivo", messages::NO_FILE);
        }
        self.checar_cliente(c.cliente_id, &mut erros).await?;
        erros.into_result()?;
        let (Some(cliente_id), Some(nome), Some(arquivo)) = (c.cliente_id, c.nome, arquivo) else {
            return Err(DomainError::internal(
                "validated create without cliente/nome/arquivo",
            ));
        };
        let novo = NewDocumento {
            cliente_id,
            nome,
            tipo_documento: c.tipo_documento.unwrap_or_default(),
            status: c.status.unwrap_or_default(),
            origem: c.origem.unwrap_or_default(),
            arquivo,
            descricao: c.descricao.flatten(),
            template_usado: c.template_usado.flatten(),
            dados_preenchidos: c.dados_preenchidos.unwrap_or_default(),
            data_vencimento: c.data_vencimento.flatten(),
            data_upload: self.clock.now(),
            usuario_upload_id: Some(usuario_id),
            ativo: c.ativo.unwrap_or(true),
        };
        self.repo.insert(novo).await
    }

    /// `PUT` (the edge requires `cliente` and `nome`) or `PATCH`. `arquivo` = path of a newly
    /// stored upload, if any (the old file is kept, like the original).
    pub async fn atualizar(
        &self,
        id: i64,
        scope: &DocumentoScope,
        form: DocumentoForm,
        arquivo: Option<String>,
    ) -> Result<Documento> {
        let resultado = self
            .atualizar_interno(id, scope, form, arquivo.clone())
            .await;
        if resultado.is_err() {
            self.descartar(arquivo.as_deref()).await;
        }
        resultado
    }

    async fn atualizar_interno(
        &self,
        id: i64,
        scope: &DocumentoScope,
        form: DocumentoForm,
        arquivo: Option<String>,
    ) -> Result<Documento> {
        self.obter(id, scope).await?;
        let DocumentoForm {
            changes: mut c,
            errors: mut erros,
        } = self.checar_vencimento(form);
        self.checar_cliente(c.cliente_id, &mut erros).await?;
        erros.into_result()?;
        c.arquivo = arquivo;
        self.repo.update(id, c).await
    }

    /// A `data_vencimento` before today (São Paulo) is a field error.
    fn checar_vencimento(&self, mut form: DocumentoForm) -> DocumentoForm {
        if let Some(Some(d)) = form.changes.data_vencimento
            && d < self.hoje()
        {
            form.errors.add("data_vencimento", VENCIMENTO_PASSADO);
            form.changes.data_vencimento = None;
        }
        form
    }

    /// `DELETE /documentos/{id}/` — soft delete (`ativo = false`).
    pub async fn remover(&self, id: i64, scope: &DocumentoScope) -> Result<()> {
        self.obter(id, scope).await?;
        self.repo.soft_delete(id).await
    }

    async fn checar_cliente(&self, cliente_id: Option<i64>, erros: &mut FieldErrors) -> Result<()> {
        if let Some(id) = cliente_id
            && !self.repo.cliente_existe(id).await?
        {
            erros.add("cliente", messages::invalid_pk(&id.to_string()));
        }
        Ok(())
    }

    async fn descartar(&self, arquivo: Option<&str>) {
        self.descartar_arquivos(arquivo.into_iter()).await;
    }

    /// The files of every documento of a cliente (active or not), read before the cliente is
    /// deleted: its documentos go with it (database cascade) and their files should too.
    pub async fn arquivos_do_cliente(&self, cliente_id: i64) -> Result<Vec<String>> {
        self.repo.arquivos_do_cliente(cliente_id).await
    }

    /// Removes stored files. Best effort: each is tried, a leftover file is harmless and the
    /// database write it followed is what matters.
    pub async fn descartar_arquivos<'a>(&self, paths: impl Iterator<Item = &'a str>) {
        for path in paths {
            let _ = self.storage.delete(path).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockDocumentoRepository;
    use crate::test_util::{block_on, clock, documento};
    use kernel::storage::MockFileStorage;
    use mockall::predicate::eq;
    use serde_json::json;

    fn service(repo: MockDocumentoRepository, storage: MockFileStorage) -> DocumentoService {
        DocumentoService::new(Arc::new(repo), Arc::new(storage), clock())
    }

    fn form(changes: crate::DocumentoChanges) -> DocumentoForm {
        DocumentoForm {
            changes,
            errors: kernel::FieldErrors::new(),
        }
    }

    fn doc(cliente: i64, nome: &str) -> crate::DocumentoChanges {
        crate::DocumentoChanges {
            cliente_id: Some(cliente),
            nome: Some(nome.into()),
            ..Default::default()
        }
    }

    #[test]
    fn criar_inserts_with_defaults_and_caller() {
        let mut repo = MockDocumentoRepository::new();
        repo.expect_cliente_existe()
            .with(eq(7))
            .returning(|_| Ok(true));
        repo.expect_insert()
            .withf(|n| {
                n.cliente_id == 7
                    && n.nome == "Doc"
                    && n.usuario_upload_id == Some(42)
                    && n.ativo
                    && n.tipo_documento.as_str() == "outro"
                    && n.origem.as_str() == "manual"
                    && n.arquivo == "clientes/documentos/a.pdf"
                    && n.data_upload == clock().0
            })
            .returning(|_| Ok(documento(1)));
        let s = service(repo, MockFileStorage::new());
        let d = block_on(s.criar(
            form(doc(7, "Doc")),
            Some("clientes/documentos/a.pdf".into()),
            42,
        ));
        assert_eq!(d.unwrap().id, 1);
    }

    #[test]
    fn criar_refused_reports_all_errors_and_deletes_the_upload() {
        let mut repo = MockDocumentoRepository::new();
        repo.expect_cliente_existe().returning(|_| Ok(false));
        repo.expect_insert().never();
        let mut storage = MockFileStorage::new();
        storage
            .expect_delete()
            .with(eq("clientes/documentos/a.pdf"))
            .times(1)
            .returning(|_| Ok(()));
        let s = service(repo, storage);
        // The edge refused `nome` and `status`; the use case adds the unknown cliente and the
        // past due date to the same errors.
        let mut refused = form(crate::DocumentoChanges {
            cliente_id: Some(99),
            data_vencimento: Some(NaiveDate::from_ymd_opt(2025, 10, 11)),
            ..Default::default()
        });
        refused.errors.add("nome", messages::REQUIRED);
        refused
            .errors
            .add("status", "\"x\" não é um escolha válido.");
        let err =
            block_on(s.criar(refused, Some("clientes/documentos/a.pdf".into()), 1)).unwrap_err();
        let DomainError::Validation(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            e.into_json(),
            json!({"cliente":[messages::invalid_pk("99")],"nome":[messages::REQUIRED],
                   "status":["\"x\" não é um escolha válido."],
                   "data_vencimento":[VENCIMENTO_PASSADO]})
        );
    }

    #[test]
    fn criar_without_file() {
        let mut repo = MockDocumentoRepository::new();
        repo.expect_cliente_existe().returning(|_| Ok(true));
        let s = service(repo, MockFileStorage::new());
        let err = block_on(s.criar(form(doc(7, "Doc")), None, 1)).unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e.has("arquivo")));
    }

    #[test]
    fn atualizar_and_remover_respect_scope() {
        let mut repo = MockDocumentoRepository::new();
        repo.expect_get()
            .with(eq(5), eq(DocumentoScope::Owner(2)))
            .returning(|_, _| Ok(None));
        repo.expect_get()
            .with(eq(1), eq(DocumentoScope::Superuser))
            .returning(|id, _| Ok(Some(documento(id))));
        repo.expect_update()
            .withf(|id, c| {
                *id == 1
                    && c.nome.as_deref() == Some("Novo")
                    && c.cliente_id.is_none()
                    && c.arquivo.is_none()
            })
            .returning(|id, _| Ok(documento(id)));
        repo.expect_soft_delete()
            .with(eq(1))
            .times(1)
            .returning(|_| Ok(()));
        let s = service(repo, MockFileStorage::new());
        let patch = form(crate::DocumentoChanges {
            nome: Some("Novo".into()),
            ..Default::default()
        });
        assert!(block_on(s.atualizar(1, &DocumentoScope::Superuser, patch, None)).is_ok());
        assert!(matches!(
            block_on(s.remover(5, &DocumentoScope::Owner(2))),
            Err(DomainError::NotFound("DocumentoCliente"))
        ));
        assert!(block_on(s.remover(1, &DocumentoScope::Superuser)).is_ok());
    }

    #[test]
    fn arquivo_acessivel_asks_the_scope_and_only_for_documento_files() {
        let mut repo = MockDocumentoRepository::new();
        repo.expect_arquivo_visivel()
            .with(
                eq("clientes/documentos/a.pdf"),
                eq(DocumentoScope::Owner(2)),
            )
            .times(1)
            .returning(|_, _| Ok(false));
        repo.expect_arquivo_visivel()
            .with(
                eq("clientes/documentos/a.pdf"),
                eq(DocumentoScope::Superuser),
            )
            .times(1)
            .returning(|_, _| Ok(true));
        let s = service(repo, MockFileStorage::new());
        let owner = DocumentoScope::Owner(2);
        assert!(!block_on(s.arquivo_acessivel("clientes/documentos/a.pdf", &owner)).unwrap());
        let all = DocumentoScope::Superuser;
        assert!(block_on(s.arquivo_acessivel("clientes/documentos/a.pdf", &all)).unwrap());
        // Other folders never reach the repository (its mock would refuse the call).
        for other in [
            "clientes/imagens/a.png",
            "clientes/documentosx/a.pdf",
            "a.pdf",
        ] {
            assert!(!block_on(s.arquivo_acessivel(other, &all)).unwrap());
        }
    }

    #[test]
    fn tamanho_and_hoje() {
        let mut storage = MockFileStorage::new();
        storage.expect_size().returning(|_| Some(13));
        let s = service(MockDocumentoRepository::new(), storage);
        assert_eq!(block_on(s.tamanho_arquivo(&documento(1))), "13.0 B");
        assert_eq!(s.hoje(), NaiveDate::from_ymd_opt(2025, 10, 12).unwrap());
    }

    #[test]
    fn descartar_arquivos_tries_every_file() {
        let mut storage = MockFileStorage::new();
        storage
            .expect_delete()
            .with(eq("clientes/documentos/a.pdf"))
            .times(1)
            .returning(|_| Err(kernel::DomainError::internal("disk")));
        storage
            .expect_delete()
            .with(eq("clientes/documentos/b.pdf"))
            .times(1)
            .returning(|_| Ok(()));
        let s = service(MockDocumentoRepository::new(), storage);
        block_on(s.descartar_arquivos(
            ["clientes/documentos/a.pdf", "clientes/documentos/b.pdf"].into_iter(),
        ));
    }
}

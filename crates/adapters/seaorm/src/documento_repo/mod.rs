//! `DocumentoRepository` on sea-orm.
//!
//! Reads join `clientes` (for `cliente_nome`) and `agents` (for `usuario_upload_nome`) in the
//! same statement. Case-insensitive text filters run on lowercase shadow columns
//! (`nome_busca`, `descricao_busca`, `template_usado_busca`) that every write keeps in step,
//! because SQLite's `LOWER()` only folds ASCII letters.

mod query;

use crate::entities::{agent, cliente, documento};
use crate::support::{count, db_err, paged, window};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use documentos::commands::DocumentoChanges;
use documentos::filter::{DocumentoFilter, DocumentoScope};
use documentos::model::{Documento, NewDocumento, OrigemDocumento, StatusDocumento, TipoDocumento};
use documentos::ports::DocumentoRepository;
use kernel::{DomainError, FieldErrors, Page, PageRequest, Result, messages};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter, QuerySelect,
    RelationTrait, Select, SqlErr,
};
use serde_json::{Map, Value};

use documento::Column as D;

/// The model name in `NotFound` errors (`No DocumentoCliente matches the given query.`).
const MODEL: &str = "DocumentoCliente";

pub struct SeaOrmDocumentoRepository {
    db: DatabaseConnection,
}

impl SeaOrmDocumentoRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A documento row joined with its cliente's razão social and its uploader's username.
#[derive(Debug, FromQueryResult)]
struct DocumentoRow {
    id: i64,
    cliente_id: i64,
    nome: String,
    tipo_documento: String,
    status: String,
    origem: String,
    arquivo: String,
    descricao: Option<String>,
    template_usado: Option<String>,
    dados_preenchidos: String,
    data_vencimento: Option<NaiveDate>,
    data_upload: DateTime<Utc>,
    usuario_upload_id: Option<i64>,
    ativo: bool,
    cliente_nome: Option<String>,
    usuario_upload_nome: Option<String>,
}

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::internal(format!("documentos: stored {what} {value:?} is not valid"))
}

impl TryFrom<DocumentoRow> for Documento {
    type Error = DomainError;

    fn try_from(r: DocumentoRow) -> Result<Self> {
        let tipo_documento = TipoDocumento::parse(&r.tipo_documento)
            .ok_or_else(|| corrupt("tipo_documento", &r.tipo_documento))?;
        let status =
            StatusDocumento::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?;
        let origem =
            OrigemDocumento::parse(&r.origem).ok_or_else(|| corrupt("origem", &r.origem))?;
        let dados_preenchidos = serde_json::from_str::<Map<String, Value>>(&r.dados_preenchidos)
            .map_err(|_| corrupt("dados_preenchidos", &r.dados_preenchidos))?;
        Ok(Documento {
            id: r.id,
            cliente_id: r.cliente_id,
            cliente_nome: r.cliente_nome,
            nome: r.nome,
            tipo_documento,
            status,
            origem,
            arquivo: r.arquivo,
            descricao: r.descricao,
            template_usado: r.template_usado,
            dados_preenchidos,
            data_vencimento: r.data_vencimento,
            data_upload: r.data_upload,
            usuario_upload_id: r.usuario_upload_id,
            usuario_upload_nome: r.usuario_upload_nome,
            ativo: r.ativo,
        })
    }
}

/// The read query: the domain columns (not the shadow ones) plus both joined names.
/// LEFT joins keep `documentos` the driving table, so its ordering indexes stay usable.
fn joined() -> Select<documento::Entity> {
    documento::Entity::find()
        .select_only()
        .columns([
            D::Id,
            D::ClienteId,
            D::Nome,
            D::TipoDocumento,
            D::Status,
            D::Origem,
            D::Arquivo,
            D::Descricao,
            D::TemplateUsado,
            D::DadosPreenchidos,
            D::DataVencimento,
            D::DataUpload,
            D::UsuarioUploadId,
            D::Ativo,
        ])
        .column_as(
            Expr::col((cliente::Entity, cliente::Column::RazaoSocial)),
            "cliente_nome",
        )
        .column_as(
            Expr::col((agent::Entity, agent::Column::Username)),
            "usuario_upload_nome",
        )
        .join(JoinType::LeftJoin, documento::Relation::Cliente.def())
        .join(JoinType::LeftJoin, documento::Relation::UsuarioUpload.def())
}

async fn load_rows<C: ConnectionTrait>(
    db: &C,
    q: Select<documento::Entity>,
) -> Result<Vec<Documento>> {
    q.into_model::<DocumentoRow>()
        .all(db)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(Documento::try_from)
        .collect()
}

/// One row by id, whatever its `ativo` flag and scope.
async fn fetch<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Documento>> {
    let mut rows = load_rows(db, joined().filter(D::Id.eq(id))).await?;
    Ok(rows.pop())
}

fn json_text(dados: &Map<String, Value>) -> Result<String> {
    serde_json::to_string(dados).map_err(DomainError::internal)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

async fn cliente_existe<C: ConnectionTrait>(db: &C, cliente_id: i64) -> Result<bool> {
    let n = cliente::Entity::find()
        .filter(cliente::Column::Id.eq(cliente_id))
        .count(db)
        .await
        .map_err(db_err)?;
    Ok(n > 0)
}

impl SeaOrmDocumentoRepository {
    /// Translates a write error. A foreign-key violation on a cliente that no longer exists
    /// (deleted between the service's check and the write) becomes the same field error the
    /// service reports for a missing cliente; anything else is mapped as usual.
    async fn write_err(&self, e: DbErr, cliente_id: Option<i64>) -> DomainError {
        if let (Some(SqlErr::ForeignKeyConstraintViolation(_)), Some(id)) =
            (e.sql_err(), cliente_id)
            && let Ok(false) = cliente_existe(&self.db, id).await
        {
            return DomainError::Validation(FieldErrors::single(
                "cliente",
                messages::invalid_pk(&id.to_string()),
            ));
        }
        db_err(e)
    }
}

#[async_trait]
impl DocumentoRepository for SeaOrmDocumentoRepository {
    async fn list(&self, filter: &DocumentoFilter, page: PageRequest) -> Result<Page<Documento>> {
        let cond = query::condition(filter);
        let total = count(&self.db, documento::Entity::find().filter(cond.clone())).await?;
        let w = window(page, total).ok_or_else(kernel::page::invalid_page)?;
        let q = paged(query::ordered(joined().filter(cond), &filter.ordering), &w);
        let items = load_rows(&self.db, q).await?;
        Ok(Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        })
    }

    async fn get(&self, id: i64, scope: &DocumentoScope) -> Result<Option<Documento>> {
        let q = joined().filter(D::Id.eq(id)).filter(query::scope(scope));
        let mut rows = load_rows(&self.db, q).await?;
        Ok(rows.pop())
    }

    async fn insert(&self, novo: NewDocumento) -> Result<Documento> {
        let am = documento::ActiveModel {
            cliente_id: Set(novo.cliente_id),
            nome_busca: Set(lower(&novo.nome)),
            nome: Set(novo.nome),
            tipo_documento: Set(novo.tipo_documento.as_str().to_string()),
            status: Set(novo.status.as_str().to_string()),
            origem: Set(novo.origem.as_str().to_string()),
            arquivo: Set(novo.arquivo),
            descricao_busca: Set(novo.descricao.as_deref().map(lower)),
            descricao: Set(novo.descricao),
            template_usado_busca: Set(novo.template_usado.as_deref().map(lower)),
            template_usado: Set(novo.template_usado),
            dados_preenchidos: Set(json_text(&novo.dados_preenchidos)?),
            data_vencimento: Set(novo.data_vencimento),
            data_upload: Set(novo.data_upload),
            usuario_upload_id: Set(novo.usuario_upload_id),
            ativo: Set(novo.ativo),
            ..Default::default()
        };
        let id = match documento::Entity::insert(am).exec(&self.db).await {
            Ok(r) => r.last_insert_id,
            Err(e) => return Err(self.write_err(e, Some(novo.cliente_id)).await),
        };
        fetch(&self.db, id)
            .await?
            .ok_or(DomainError::NotFound(MODEL))
    }

    async fn update(&self, id: i64, changes: DocumentoChanges) -> Result<Documento> {
        let mut am: documento::ActiveModel = Default::default();
        if let Some(v) = changes.cliente_id {
            am.cliente_id = Set(v);
        }
        if let Some(v) = changes.nome {
            am.nome_busca = Set(lower(&v));
            am.nome = Set(v);
        }
        if let Some(v) = changes.tipo_documento {
            am.tipo_documento = Set(v.as_str().to_string());
        }
        if let Some(v) = changes.status {
            am.status = Set(v.as_str().to_string());
        }
        if let Some(v) = changes.origem {
            am.origem = Set(v.as_str().to_string());
        }
        if let Some(v) = changes.arquivo {
            am.arquivo = Set(v);
        }
        if let Some(v) = changes.descricao {
            am.descricao_busca = Set(v.as_deref().map(lower));
            am.descricao = Set(v);
        }
        if let Some(v) = changes.template_usado {
            am.template_usado_busca = Set(v.as_deref().map(lower));
            am.template_usado = Set(v);
        }
        if let Some(v) = &changes.dados_preenchidos {
            am.dados_preenchidos = Set(json_text(v)?);
        }
        if let Some(v) = changes.data_vencimento {
            am.data_vencimento = Set(v);
        }
        if let Some(v) = changes.ativo {
            am.ativo = Set(v);
        }
        if am.is_changed() {
            let r = documento::Entity::update_many()
                .set(am)
                .filter(D::Id.eq(id))
                .exec(&self.db)
                .await;
            match r {
                Ok(r) if r.rows_affected == 0 => return Err(DomainError::NotFound(MODEL)),
                Ok(_) => {}
                Err(e) => return Err(self.write_err(e, changes.cliente_id).await),
            }
        }
        fetch(&self.db, id)
            .await?
            .ok_or(DomainError::NotFound(MODEL))
    }

    async fn soft_delete(&self, id: i64) -> Result<()> {
        let r = documento::Entity::update_many()
            .col_expr(D::Ativo, Expr::value(false))
            .filter(D::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if r.rows_affected == 0 {
            return Err(DomainError::NotFound(MODEL));
        }
        Ok(())
    }

    async fn cliente_existe(&self, cliente_id: i64) -> Result<bool> {
        cliente_existe(&self.db, cliente_id).await
    }

    async fn arquivo_visivel(&self, arquivo: &str, scope: &DocumentoScope) -> Result<bool> {
        let hit = documento::Entity::find()
            .select_only()
            .column(D::Id)
            .filter(D::Arquivo.eq(arquivo))
            .filter(query::scope(scope))
            .limit(1)
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(hit.is_some())
    }

    async fn arquivos_do_cliente(&self, cliente_id: i64) -> Result<Vec<String>> {
        documento::Entity::find()
            .select_only()
            .column(D::Arquivo)
            .filter(D::ClienteId.eq(cliente_id))
            .into_tuple::<String>()
            .all(&self.db)
            .await
            .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::OrderBy;
    use sea_orm::{DbBackend, QueryTrait, Statement};

    /// SQLite's plan for the default list page must walk an index, never sort the table.
    #[tokio::test]
    async fn default_list_page_uses_an_index() {
        let db = crate::connect("sqlite::memory:").await.unwrap();
        crate::migrate(&db).await.unwrap();
        for scope in [DocumentoScope::Superuser, DocumentoScope::Owner(3)] {
            let mut f = DocumentoFilter::new(scope);
            for ordering in [
                vec![OrderBy::desc("data_upload")],
                vec![OrderBy::asc("data_upload")],
                vec![OrderBy::asc("nome")],
            ] {
                f.ordering = ordering;
                let q = query::ordered(joined().filter(query::condition(&f)), &f.ordering)
                    .limit(20)
                    .offset(40)
                    .build(DbBackend::Sqlite);
                let stmt = Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!("EXPLAIN QUERY PLAN {}", q.sql),
                    q.values.map(|v| v.0).unwrap_or_default(),
                );
                let plan: Vec<String> = db
                    .query_all_raw(stmt)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String>("", "detail").unwrap())
                    .collect();
                assert!(
                    !plan.iter().any(|d| d.contains("TEMP B-TREE")),
                    "{scope:?} {:?}: {plan:?}",
                    f.ordering
                );
            }
        }
    }
}

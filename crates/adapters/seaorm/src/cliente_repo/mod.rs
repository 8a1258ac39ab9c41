//! `ClienteRepository` on sea-orm.

mod mapping;
mod query;
mod resumo;
mod seed;
mod stats;
mod writer;

use crate::Database;
use crate::entities::{cliente, grupo_empresa};
use crate::support::{
    count, db_err, filtered, now, only_changed, ordered, paged, update_err, window,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientes::filter::ClienteFilter;
use clientes::ports::{CNPJ_CONSTRAINT, ClienteRepository};
use clientes::service::{PLACEHOLDER_ATTEMPTS, placeholder_cnpj};
use clientes::{Cliente, ClienteData, ClienteResumo, ClienteStats};
use kernel::{DomainError, OrderBy, Page, PageRequest, Result};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select, SqlErr, Statement,
    TransactionTrait,
};

use mapping::ClienteRow;
pub(crate) use mapping::active_model;
pub(crate) use writer::insert_placeholders;

use cliente::Column as C;

/// The search index's merge work of one write transaction (SQLite): up to 16 pages, instead
/// of FTS5's automatic merges, which come every 64 leaf pages written and then merge 64 pages
/// per level of the index at once (8–13 ms in the commit of one batch under a POST load).
/// Migration 000004 turns the automatic merges off (`automerge=0`), so every transaction
/// that writes `clientes_fts` (the group-commit writer's batches, and every insert, update
/// and delete that goes around it: see [`merge_search_index`]) runs this step; it keeps the
/// index at about a dozen segments however many clientes are written.
pub(crate) const FTS_MERGE: &str =
    "INSERT INTO clientes_fts(clientes_fts, rank) VALUES ('merge', 16)";

/// SQLite: one bounded step of the search index's merge work ([`FTS_MERGE`]), for a write
/// of `clientes` outside the group-commit writer, inside its transaction when there is one.
/// A failed step leaves the index as it was (the statement is undone alone) and is taken up
/// by the next write: it never fails the write. A no-op on PostgreSQL.
pub(crate) async fn merge_search_index<D: ConnectionTrait>(db: &D) {
    if db.get_database_backend() == DbBackend::Sqlite {
        let _ = db.execute_unprepared(FTS_MERGE).await;
    }
}

/// The `placeholder_counters` row of placeholder CNPJs (initialised by migration 000003).
const PLACEHOLDER_COUNTER: &str = "cliente_cnpj";

pub struct SeaOrmClienteRepository {
    db: DatabaseConnection,
    /// The database's shared handle: its group-commit writer takes the inserts (SQLite).
    database: Database,
}

impl SeaOrmClienteRepository {
    /// `db`: a [`Database`] shared with the other repositories (one writer for all), or a
    /// bare connection (a writer of this repository's own).
    pub fn new(db: impl Into<Database>) -> Self {
        let database = db.into();
        Self {
            db: database.connection().clone(),
            database,
        }
    }

    /// Inserts directly on the pool (each statement its own transaction).
    async fn insert_direct(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
        allocate: bool,
    ) -> Result<Cliente> {
        let m = if allocate && data.cnpj.is_empty() {
            insert_allocating(&self.db, data, criado_por).await
        } else {
            insert_model(&self.db, data, criado_por).await
        }
        .map_err(cliente_err)?;
        merge_search_index(&self.db).await;
        with_grupo_nome(&self.db, m).await.map_err(db_err)
    }

    async fn insert_any(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
        allocate: bool,
    ) -> Result<Cliente> {
        match self.database.writer() {
            Some(w) => {
                w.submit(writer::Job {
                    data: data.clone(),
                    criado_por,
                    allocate,
                })
                .await
            }
            None => self.insert_direct(data, criado_por, allocate).await,
        }
    }
}

/// Clientes LEFT JOINed with their group, selecting [`mapping::COLUMNS`] and the group name.
fn select() -> Select<cliente::Entity> {
    cliente::Entity::find()
        .select_only()
        .columns(mapping::COLUMNS)
        .column_as(
            Expr::col((grupo_empresa::Entity, grupo_empresa::Column::Nome)),
            "grupo_empresa_nome",
        )
        .join(JoinType::LeftJoin, cliente::Relation::GrupoEmpresa.def())
}

async fn first<D: ConnectionTrait>(db: &D, q: Select<cliente::Entity>) -> Result<Option<Cliente>> {
    let row = q.into_model::<ClienteRow>().one(db).await.map_err(db_err)?;
    Ok(row.map(|r| r.0))
}

/// One cliente with its group's name.
pub(crate) async fn fetch<D: ConnectionTrait>(
    db: &D,
    id: i64,
    owner: Option<i64>,
) -> Result<Option<Cliente>> {
    first(
        db,
        filtered(select().filter(C::Id.eq(id)), query::scope(owner)),
    )
    .await
}

/// Inserts a cliente (used by the repository and by `cadastrar`'s transaction).
pub(crate) async fn insert_cliente<D: ConnectionTrait>(
    db: &D,
    data: &ClienteData,
    criado_por: Option<i64>,
) -> Result<cliente::Model> {
    insert_model(db, data, criado_por)
        .await
        .map_err(cliente_err)
}

/// [`insert_cliente`] keeping the driver's error (the group-commit writer sorts errors by it).
async fn insert_model<D: ConnectionTrait>(
    db: &D,
    data: &ClienteData,
    criado_por: Option<i64>,
) -> std::result::Result<cliente::Model, DbErr> {
    let t = now();
    let mut am = active_model(data);
    am.criado_em = Set(t);
    am.atualizado_em = Set(t);
    am.criado_por = Set(criado_por);
    am.atualizado_por = Set(None);
    am.insert(db).await
}

/// Allocates the next placeholder number (one statement: the row lock on PostgreSQL, the
/// write lock on SQLite make the increment and the read one step).
async fn next_seq<D: ConnectionTrait>(db: &D) -> std::result::Result<u32, DbErr> {
    next_seqs(db, 1).await
}

/// Allocates `n` consecutive placeholder numbers at once; returns the last of them.
async fn next_seqs<D: ConnectionTrait>(db: &D, n: u32) -> std::result::Result<u32, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE placeholder_counters SET value = value + $1 WHERE name = $2 RETURNING value"
        }
        _ => "UPDATE placeholder_counters SET value = value + ? WHERE name = ? RETURNING value",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [i64::from(n).into(), PLACEHOLDER_COUNTER.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("placeholder counter row missing".into()))?;
    let n: i64 = row.try_get_by_index(0)?;
    u32::try_from(n).map_err(|_| DbErr::Custom("placeholder counter out of range".into()))
}

/// PostgreSQL, on the pool: [`next_seq`] in a transaction of its own that commits without
/// waiting for its WAL to reach the disk (`synchronous_commit = off`). The counter's row lock
/// is then held for the statement alone, not through a disk flush, so concurrent creations no
/// longer queue one flush at a time behind it. Durability is unchanged where it matters: the
/// insert that uses the number commits synchronously after it, and flushing its commit record
/// flushes the earlier increment too; a crash before that loses both, and the number, which
/// no row holds, is handed out again.
async fn next_seq_detached<D: ConnectionTrait + TransactionTrait>(
    db: &D,
) -> std::result::Result<u32, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return next_seq(db).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL synchronous_commit = off")
        .await?;
    let n = next_seq(&txn).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(n)
}

/// Inserts `data` under a freshly allocated placeholder CNPJ; a number whose placeholder is
/// already stored (typed by hand) is skipped, up to [`PLACEHOLDER_ATTEMPTS`] numbers.
///
/// Each statement is atomic on its own (a failed INSERT leaves the allocation and the
/// enclosing transaction intact on SQLite), so this runs on the pool or inside the SQLite
/// group-commit transaction; never inside a PostgreSQL transaction, which a failed statement
/// aborts (on PostgreSQL the number comes from [`next_seq_detached`]).
async fn insert_allocating<D: ConnectionTrait + TransactionTrait>(
    db: &D,
    data: &ClienteData,
    criado_por: Option<i64>,
) -> std::result::Result<cliente::Model, DbErr> {
    let mut data = data.clone();
    for _ in 0..PLACEHOLDER_ATTEMPTS {
        data.cnpj = placeholder_cnpj(next_seq_detached(db).await?);
        match insert_model(db, &data, criado_por).await {
            Err(e) if is_cnpj_conflict(&e) => continue,
            other => return other,
        }
    }
    Err(DbErr::Custom(
        "could not allocate a placeholder CNPJ".into(),
    ))
}

/// Translates a driver error of a cliente write: a violation of the CNPJ's unique index is the
/// port's [`CNPJ_CONSTRAINT`] conflict; any other error as [`db_err`] (another unique
/// constraint keeps the driver's description, so it is never taken for a taken CNPJ).
pub(crate) fn cliente_err(e: DbErr) -> DomainError {
    if is_cnpj_conflict(&e) {
        DomainError::Conflict(CNPJ_CONSTRAINT.into())
    } else {
        db_err(e)
    }
}

/// Whether `e` is a violation of the CNPJ's unique index (`clientes.cnpj` on SQLite,
/// `ux_clientes_cnpj` on PostgreSQL), not of another constraint.
fn is_cnpj_conflict(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(SqlErr::UniqueConstraintViolation(msg))
            if msg.contains("clientes.cnpj") || msg.contains("ux_clientes_cnpj")
    )
}

/// The inserted row as the domain's cliente, with its group's name.
pub(crate) async fn with_grupo_nome<D: ConnectionTrait>(
    db: &D,
    m: cliente::Model,
) -> std::result::Result<Cliente, DbErr> {
    let nome = match m.grupo_empresa_id {
        Some(id) => grupo_empresa::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|g| g.nome),
        None => None,
    };
    Ok(mapping::to_domain(m, nome))
}

async fn grupo_nome<D: ConnectionTrait>(db: &D, grupo: Option<i64>) -> Result<Option<String>> {
    let Some(id) = grupo else {
        return Ok(None);
    };
    let g = grupo_empresa::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_err)?;
    Ok(g.map(|g| g.nome))
}

/// The ordered page query, before LIMIT/OFFSET.
fn page_query(cond: Condition, order: &[OrderBy]) -> Select<cliente::Entity> {
    ordered(filtered(select(), cond), order, query::order_column, C::Id)
}

#[async_trait]
impl ClienteRepository for SeaOrmClienteRepository {
    async fn list(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<Cliente>>> {
        let cond = query::condition(filter, self.db.get_database_backend())?;
        let total = query::count(&self.db, cond.clone()).await?;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let rows = paged(page_query(cond, order), &w)
            .into_model::<ClienteRow>()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let items = rows.into_iter().map(|r| r.0).collect();
        Ok(Some(Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn list_resumo(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<ClienteResumo>>> {
        resumo::list(
            &self.db,
            query::condition(filter, self.db.get_database_backend())?,
            order,
            page,
        )
        .await
    }

    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Cliente>> {
        fetch(&self.db, id, owner).await
    }

    async fn insert(&self, data: &ClienteData, criado_por: Option<i64>) -> Result<Cliente> {
        self.insert_any(data, criado_por, false).await
    }

    async fn insert_with_placeholder(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente> {
        self.insert_any(data, criado_por, true).await
    }

    async fn update(
        &self,
        id: i64,
        data: &ClienteData,
        since: Option<ClienteData>,
        atualizado_por: Option<i64>,
    ) -> Result<Cliente> {
        // `search_text` is derived from four columns, which two concurrent PATCHes may change
        // one each: it is computed below from the row as stored after this write, never from
        // the row this request read.
        let derived = |d: &ClienteData| {
            let mut am = active_model(d);
            am.search_text = NotSet;
            am
        };
        let mut am = match since {
            Some(before) => only_changed(derived(data), &derived(&before)),
            None => derived(data),
        };
        am.id = Set(id);
        am.atualizado_em = Set(now());
        am.atualizado_por = Set(atualizado_por);
        let tx = self.db.begin().await.map_err(db_err)?;
        // The UPDATE comes first in the transaction: it takes the row's lock on PostgreSQL
        // (a concurrent update waits, then sees this one) and the write lock on SQLite, and
        // returns the row with every committed change of other columns.
        let m = am.update(&tx).await.map_err(|e| match e {
            e if is_cnpj_conflict(&e) => cliente_err(e),
            e => update_err("Cliente")(e),
        })?;
        let text = mapping::search_text(&mapping::to_domain(m.clone(), None).data);
        let m = if text == m.search_text {
            m
        } else {
            let m = cliente::ActiveModel {
                id: Set(id),
                search_text: Set(text),
                ..Default::default()
            }
            .update(&tx)
            .await
            .map_err(update_err("Cliente"))?;
            merge_search_index(&tx).await;
            m
        };
        tx.commit().await.map_err(db_err)?;
        let nome = grupo_nome(&self.db, m.grupo_empresa_id).await?;
        Ok(mapping::to_domain(m, nome))
    }

    async fn delete(&self, id: i64) -> Result<()> {
        // Foreign keys cascade to contatos (and every later table that references clientes).
        let r = cliente::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if r.rows_affected == 0 {
            return Err(DomainError::NotFound("Cliente"));
        }
        merge_search_index(&self.db).await;
        Ok(())
    }

    async fn stats(&self, owner: Option<i64>, recent_since: DateTime<Utc>) -> Result<ClienteStats> {
        stats::stats(&self.db, owner, recent_since).await
    }

    async fn cnpj_taken(&self, cnpj: &str, except: Option<i64>) -> Result<bool> {
        let mut q = cliente::Entity::find().filter(C::Cnpj.eq(cnpj));
        if let Some(id) = except {
            q = q.filter(C::Id.ne(id));
        }
        Ok(count(&self.db, q).await? > 0)
    }

    async fn next_placeholder_seq(&self) -> Result<u32> {
        next_seq(&self.db).await.map_err(db_err)
    }

    async fn find_by_cnpj(&self, cnpj: &str) -> Result<Option<Cliente>> {
        first(&self.db, select().filter(C::Cnpj.eq(cnpj))).await
    }

    async fn imagem_visivel(&self, path: &str, owner: Option<i64>) -> Result<bool> {
        let mut q = cliente::Entity::find().select_only().column(C::Id).filter(
            Condition::any()
                .add(C::Logo.eq(path))
                .add(C::AssinaturaDigital.eq(path)),
        );
        if let Some(user) = owner {
            q = q.filter(C::CriadoPor.eq(user));
        }
        let hit = q
            .limit(1)
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(hit.is_some())
    }

    async fn find_by_nome(&self, nome: &str) -> Result<Option<Cliente>> {
        let needle = || Expr::expr(Func::lower(Expr::val(nome)));
        let lower = |col: C| Expr::expr(Func::lower(Expr::col((cliente::Entity, col))));
        let q = select()
            .filter(
                Condition::any()
                    .add(lower(C::RazaoSocial).eq(needle()))
                    .add(lower(C::NomeFantasia).eq(needle())),
            )
            .order_by_asc(C::Id);
        first(&self.db, q).await
    }
}

/// The filters the plan tests check (every cliente, one owner's, one status), so each
/// back-end's plan test covers the same shapes.
#[cfg(test)]
pub(crate) fn plan_filters() -> [ClienteFilter; 3] {
    [
        ClienteFilter::default(),
        ClienteFilter {
            owner: Some(1),
            ..Default::default()
        },
        ClienteFilter {
            status: Some("ativo".into()),
            ..Default::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, QueryTrait, Statement};

    /// SQLite's plan for a list page must walk an index, never sort the whole table.
    async fn assert_indexed(db: &DatabaseConnection, filter: &ClienteFilter, order: &[OrderBy]) {
        let q = page_query(query::condition(filter, DbBackend::Sqlite).unwrap(), order)
            .limit(20)
            .offset(40);
        let built = q.build(DbBackend::Sqlite);
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", built.sql),
            built.values.map(|v| v.0).unwrap_or_default(),
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
            "{order:?}: {plan:?}"
        );
    }

    #[tokio::test]
    async fn list_pages_use_indexes() {
        let db = crate::connect("sqlite::memory:").await.unwrap();
        crate::migrate(&db).await.unwrap();
        let [all, mine, ativos] = super::plan_filters();
        for order in [
            vec![OrderBy::desc("criado_em")],
            vec![OrderBy::asc("criado_em")],
            vec![OrderBy::asc("razao_social")],
            vec![OrderBy::desc("atualizado_em")],
            vec![OrderBy::desc("status")],
        ] {
            assert_indexed(&db, &all, &order).await;
        }
        assert_indexed(&db, &mine, &[OrderBy::desc("criado_em")]).await;
        assert_indexed(&db, &ativos, &[OrderBy::desc("criado_em")]).await;
    }
}

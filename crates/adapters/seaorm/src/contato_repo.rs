//! `ContatoRepository` on sea-orm.

use crate::entities::{cliente, contato};
use crate::support::{
    count, db_err, icontains, never, now, only_changed, ordered, paged, update_err, window,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clientes::contato::{Contato, ContatoData, ContatoFilter};
use clientes::ports::ContatoRepository;
use kernel::{DomainError, OrderBy, Page, PageRequest, Result};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select,
};

use contato::Column as K;

pub struct SeaOrmContatoRepository {
    db: DatabaseConnection,
}

impl SeaOrmContatoRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A contato row joined with its cliente's razão social.
#[derive(Debug, FromQueryResult)]
struct ContatoRow {
    id: i64,
    cliente_id: i64,
    nome: String,
    cargo: Option<String>,
    whatsapp: String,
    email: Option<String>,
    ativo: bool,
    criado_em: DateTime<Utc>,
    atualizado_em: DateTime<Utc>,
    cliente_nome: String,
}

impl From<ContatoRow> for Contato {
    fn from(r: ContatoRow) -> Self {
        Contato {
            id: r.id,
            data: ContatoData {
                cliente: r.cliente_id,
                nome: r.nome,
                cargo: r.cargo,
                whatsapp: r.whatsapp,
                email: r.email,
                ativo: r.ativo,
            },
            cliente_nome: r.cliente_nome,
            criado_em: r.criado_em,
            atualizado_em: r.atualizado_em,
        }
    }
}

/// Contatos inner-joined with their cliente (for `cliente_nome` and cliente-side filters).
fn joined() -> Select<contato::Entity> {
    contato::Entity::find().join(JoinType::InnerJoin, contato::Relation::Cliente.def())
}

fn with_cliente_nome(
    q: Select<contato::Entity>,
) -> sea_orm::Selector<sea_orm::SelectModel<ContatoRow>> {
    q.column_as(
        Expr::col((cliente::Entity, cliente::Column::RazaoSocial)),
        "cliente_nome",
    )
    .into_model::<ContatoRow>()
}

/// The ordered page query, before LIMIT/OFFSET.
fn page_query(cond: Condition, order: &[OrderBy]) -> Select<contato::Entity> {
    ordered(joined().filter(cond), order, order_column, K::Id)
}

/// `cliente_id IN (ids of active clientes)`: a semi-join, so the planner keeps walking the
/// contatos ordering index instead of driving the query from clientes and sorting.
fn active_clientes_only() -> Condition {
    let active = Query::select()
        .column(cliente::Column::Id)
        .from(cliente::Entity)
        .and_where(Expr::col((cliente::Entity, cliente::Column::Status)).eq("ativo"))
        .to_owned();
    // Unary `+` (valid on SQLite and PostgreSQL) keeps SQLite from driving the join through
    // the `cliente_id` index.
    Condition::all().add(Expr::cust(r#"+"contatos"."cliente_id""#).in_subquery(active))
}

fn icontains_column(name: &str) -> Option<K> {
    Some(match name {
        "nome" => K::Nome,
        "whatsapp" => K::Whatsapp,
        "email" => K::Email,
        "cargo" => K::Cargo,
        _ => return None,
    })
}

fn order_column(field: &str) -> Option<K> {
    Some(match field {
        "nome" => K::Nome,
        "criado_em" => K::CriadoEm,
        "ativo" => K::Ativo,
        _ => return None,
    })
}

/// The list filter as a condition; the second value tells whether it needs the cliente join.
fn condition(f: &ContatoFilter, backend: DbBackend) -> Result<(Condition, bool)> {
    // `ativo = false` is how a contato is soft-deleted, and the list's scope is `ativo = true`
    // (§4.3): the `ativo` filter narrows that scope, so `?ativo=false` lists nothing.
    let mut c = Condition::all().add(K::Ativo.eq(true));
    if f.ativo == Some(false) {
        c = c.add(never());
    }
    let mut needs_join = false;
    if f.only_active_clientes {
        c = c.add(active_clientes_only());
    }
    if let Some(id) = f.cliente {
        c = c.add(K::ClienteId.eq(id));
    }
    for (name, needle) in &f.icontains {
        let col = icontains_column(name).ok_or_else(|| {
            DomainError::internal(format!("unknown contato filter column {name}"))
        })?;
        c = c.add(icontains((contato::Entity, col), needle, backend));
    }
    for term in &f.search {
        needs_join = true;
        c = c.add(
            Condition::any()
                .add(icontains((contato::Entity, K::Nome), term, backend))
                .add(icontains((contato::Entity, K::Whatsapp), term, backend))
                .add(icontains((contato::Entity, K::Email), term, backend))
                .add(icontains(
                    (cliente::Entity, cliente::Column::RazaoSocial),
                    term,
                    backend,
                )),
        );
    }
    Ok((c, needs_join))
}

/// One contato by id with its cliente's name, whatever its `ativo` flag.
pub(crate) async fn fetch<D: ConnectionTrait>(db: &D, id: i64) -> Result<Contato> {
    with_cliente_nome(joined().filter(K::Id.eq(id)))
        .one(db)
        .await
        .map_err(db_err)?
        .map(Contato::from)
        .ok_or(DomainError::NotFound("ContatoCliente"))
}

pub(crate) async fn insert_contato<D: ConnectionTrait>(
    db: &D,
    data: &ContatoData,
) -> Result<contato::Model> {
    let t = now();
    contato::ActiveModel {
        cliente_id: Set(data.cliente),
        nome: Set(data.nome.clone()),
        cargo: Set(data.cargo.clone()),
        whatsapp: Set(data.whatsapp.clone()),
        email: Set(data.email.clone()),
        ativo: Set(data.ativo),
        criado_em: Set(t),
        atualizado_em: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(db_err)
}

#[async_trait]
impl ContatoRepository for SeaOrmContatoRepository {
    async fn list(
        &self,
        filter: &ContatoFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<Contato>>> {
        let (cond, needs_join) = condition(filter, self.db.get_database_backend())?;
        let base = if needs_join {
            joined()
        } else {
            contato::Entity::find()
        };
        let total = count(&self.db, base.filter(cond.clone())).await?;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let rows = with_cliente_nome(paged(page_query(cond, order), &w))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let items = rows.into_iter().map(Contato::from).collect();
        Ok(Some(Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn get(&self, id: i64, only_active_clientes: bool) -> Result<Option<Contato>> {
        let mut q = joined().filter(K::Id.eq(id)).filter(K::Ativo.eq(true));
        if only_active_clientes {
            q = q.filter(active_clientes_only());
        }
        let row = with_cliente_nome(q).one(&self.db).await.map_err(db_err)?;
        Ok(row.map(Contato::from))
    }

    async fn insert(&self, data: &ContatoData) -> Result<Contato> {
        let m = insert_contato(&self.db, data).await?;
        fetch(&self.db, m.id).await
    }

    async fn update(
        &self,
        id: i64,
        data: &ContatoData,
        since: Option<ContatoData>,
    ) -> Result<Contato> {
        let columns = |d: &ContatoData| contato::ActiveModel {
            cliente_id: Set(d.cliente),
            nome: Set(d.nome.clone()),
            cargo: Set(d.cargo.clone()),
            whatsapp: Set(d.whatsapp.clone()),
            email: Set(d.email.clone()),
            ativo: Set(d.ativo),
            ..Default::default()
        };
        // The (cliente, whatsapp) pair is unique by an index, so two PATCHes that each change
        // one of them cannot together make a duplicate: the second write fails.
        let mut am = match since {
            Some(before) => only_changed(columns(data), &columns(&before)),
            None => columns(data),
        };
        am.id = Set(id);
        am.atualizado_em = Set(now());
        am.update(&self.db)
            .await
            .map_err(update_err("ContatoCliente"))?;
        fetch(&self.db, id).await
    }

    async fn deactivate(&self, id: i64) -> Result<()> {
        let r = contato::Entity::update_many()
            .col_expr(K::Ativo, Expr::value(false))
            .col_expr(K::AtualizadoEm, Expr::value(now()))
            .filter(K::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        if r.rows_affected == 0 {
            return Err(DomainError::NotFound("ContatoCliente"));
        }
        Ok(())
    }

    async fn find_active_by_whatsapp(&self, whatsapp: &str) -> Result<Vec<Contato>> {
        let q = joined()
            .filter(K::Whatsapp.eq(whatsapp))
            .filter(K::Ativo.eq(true))
            .order_by_asc(K::Id);
        let rows = with_cliente_nome(q).all(&self.db).await.map_err(db_err)?;
        Ok(rows.into_iter().map(Contato::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, QueryTrait, Statement};

    /// SQLite's plan for a list page must walk an index, never sort the whole table.
    #[tokio::test]
    async fn list_pages_use_indexes() {
        let db = crate::connect("sqlite::memory:").await.unwrap();
        crate::migrate(&db).await.unwrap();
        let scoped = ContatoFilter {
            only_active_clientes: true,
            ..Default::default()
        };
        for (filter, order) in [
            (ContatoFilter::default(), OrderBy::asc("nome")),
            (scoped, OrderBy::asc("nome")),
            (ContatoFilter::default(), OrderBy::desc("criado_em")),
        ] {
            let (cond, _) = condition(&filter, DbBackend::Sqlite).unwrap();
            let q = page_query(cond, std::slice::from_ref(&order))
                .column_as(
                    Expr::col((cliente::Entity, cliente::Column::RazaoSocial)),
                    "cliente_nome",
                )
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
                "{order:?}: {plan:?}"
            );
        }
    }
}

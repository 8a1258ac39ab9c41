//! The narrow list page: only the columns of the list representation.
//!
//! On SQLite the count and the page come back in one statement, the page as a single
//! `json_group_array(json_array(…))` value: decoding one text value and parsing it is several
//! times cheaper than decoding 20 rows × 8 columns through the driver one value at a time.
//! PostgreSQL reads the same columns as rows, also in one statement: the count as a scalar
//! subquery (from the trigger-kept `cliente_row_counts` when the list is unfiltered), the
//! window cut on ids alone, then only its rows joined to their full row and group.

use super::query::order_column;
use crate::entities::{cliente, grupo_empresa};
use crate::support::{count, db_err, filtered, ordered, paged, window};
use clientes::ClienteResumo;
use kernel::{DomainError, OrderBy, Page, PageRequest, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic,
    JoinType, QueryResult, QuerySelect, QueryTrait, RelationTrait, Select, Statement, Value,
};
use serde_json::Value as Json;

use cliente::Column as C;

/// Selected in this order; the group's name follows.
const COLUMNS: [C; 7] = [
    C::Id,
    C::RazaoSocial,
    C::NomeFantasia,
    C::Cnpj,
    C::Status,
    C::EmailPrincipal,
    C::TelefonePrincipal,
];

fn select() -> Select<cliente::Entity> {
    cliente::Entity::find()
        .select_only()
        .columns(COLUMNS)
        .column_as(
            Expr::col((grupo_empresa::Entity, grupo_empresa::Column::Nome)),
            "grupo_empresa_nome",
        )
        .join(JoinType::LeftJoin, cliente::Relation::GrupoEmpresa.def())
}

/// The ordered page query, before LIMIT/OFFSET.
fn page_query(cond: Condition, order: &[OrderBy]) -> Select<cliente::Entity> {
    ordered(filtered(select(), cond), order, order_column, C::Id)
}

struct Row(ClienteResumo);

impl FromQueryResult for Row {
    fn from_query_result(r: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Ok(Row(ClienteResumo {
            id: r.try_get_by_index(0)?,
            razao_social: r.try_get_by_index(1)?,
            nome_fantasia: r.try_get_by_index(2)?,
            cnpj: r.try_get_by_index(3)?,
            status: r.try_get_by_index(4)?,
            email_principal: r.try_get_by_index(5)?,
            telefone_principal: r.try_get_by_index(6)?,
            grupo_empresa_nome: r.try_get_by_index(7)?,
        }))
    }
}

pub(crate) async fn list<D: ConnectionTrait>(
    db: &D,
    cond: Condition,
    order: &[OrderBy],
    page: PageRequest,
) -> Result<Option<Page<ClienteResumo>>> {
    if db.get_database_backend() == DbBackend::Sqlite
        && let Some(n) = page.page
    {
        // No table holds `i64::MAX` rows: a page whose offset does not fit is past the end.
        let Some(offset) = page.offset(Ord::max(n, 1)) else {
            return Ok(None);
        };
        let (total, items) = sqlite_page(db, cond, order, offset, page.page_size).await?;
        return Ok(window(page, total).map(|w| Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }));
    }
    if db.get_database_backend() == DbBackend::Postgres
        && let Some(n) = page.page
    {
        let Some(offset) = page.offset(Ord::max(n, 1)) else {
            return Ok(None);
        };
        let Some((total, items)) = postgres_page(db, cond, order, offset, page.page_size).await?
        else {
            return Ok(None);
        };
        return Ok(window(page, total).map(|w| Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }));
    }
    let total = count(db, filtered(cliente::Entity::find(), cond.clone())).await?;
    let Some(w) = window(page, total) else {
        return Ok(None);
    };
    let items = paged(page_query(cond, order), &w)
        .into_model::<Row>()
        .all(db)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|r| r.0)
        .collect();
    Ok(Some(Page {
        items,
        count: total,
        page: w.page,
        page_size: w.limit,
    }))
}

/// `ORDER BY` of the aggregated page rows (alias `c`): the same keys as [`ordered`].
fn order_sql(order: &[OrderBy]) -> String {
    let mut keys = Vec::new();
    let mut last_desc = false;
    for o in order {
        if let Some(col) = order_column(o.field) {
            keys.push(format!(
                "c.\"{}\" {}",
                col.as_str(),
                if o.desc { "DESC" } else { "ASC" }
            ));
            last_desc = o.desc;
        }
    }
    keys.push(format!(
        "c.\"id\" {}",
        if last_desc { "DESC" } else { "ASC" }
    ));
    keys.join(", ")
}

/// `(count, page)` in one SQLite statement.
///
/// The window is cut on ids alone (a covering index walk: skipped rows are never read), and
/// only its rows are joined to their full row and group, then aggregated in page order.
async fn sqlite_page<D: ConnectionTrait>(
    db: &D,
    cond: Condition,
    order: &[OrderBy],
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<ClienteResumo>)> {
    let counted = filtered(cliente::Entity::find(), cond.clone())
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .build(DbBackend::Sqlite);
    let ids = ordered(
        filtered(cliente::Entity::find().select_only().column(C::Id), cond),
        order,
        order_column,
        C::Id,
    )
    .offset(offset)
    .limit(limit)
    .build(DbBackend::Sqlite);
    let sql = format!(
        "SELECT ({}), (SELECT json_group_array(json_array(c.id, c.razao_social, \
         c.nome_fantasia, c.cnpj, c.status, c.email_principal, c.telefone_principal, g.nome) \
         ORDER BY {}) FROM ({}) AS p JOIN clientes AS c ON c.id = p.id \
         LEFT JOIN grupos_empresa AS g ON g.id = c.grupo_empresa_id)",
        counted.sql,
        order_sql(order),
        ids.sql
    );
    let mut values: Vec<Value> = counted.values.map(|v| v.0).unwrap_or_default();
    values.extend(ids.values.map(|v| v.0).unwrap_or_default());
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await
        .map_err(db_err)?
        .ok_or_else(|| DomainError::internal("empty cliente page query"))?;
    let total: i64 = row.try_get_by_index(0).map_err(db_err)?;
    let json: String = row.try_get_by_index(1).map_err(db_err)?;
    Ok((Ord::max(total, 0) as u64, parse_page(&json)?))
}

/// `(count, page)` in one PostgreSQL statement, `None` when the page lies past the end.
///
/// Every row carries the count (an uncorrelated scalar subquery, evaluated once). An empty
/// result says no row lies at `offset`: the first page of an empty list (`offset` 0, count
/// 0), or a page past the end, which does not exist whatever the exact count.
async fn postgres_page<D: ConnectionTrait>(
    db: &D,
    cond: Condition,
    order: &[OrderBy],
    offset: u64,
    limit: u64,
) -> Result<Option<(u64, Vec<ClienteResumo>)>> {
    let rows = db
        .query_all_raw(postgres_page_statement(cond, order, offset, limit)?)
        .await
        .map_err(db_err)?;
    if rows.is_empty() {
        return Ok((offset == 0).then(|| (0, Vec::new())));
    }
    let total: i64 = rows[0].try_get_by_index(0).map_err(db_err)?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(ClienteResumo {
                id: r.try_get_by_index(1)?,
                razao_social: r.try_get_by_index(2)?,
                nome_fantasia: r.try_get_by_index(3)?,
                cnpj: r.try_get_by_index(4)?,
                status: r.try_get_by_index(5)?,
                email_principal: r.try_get_by_index(6)?,
                telefone_principal: r.try_get_by_index(7)?,
                grupo_empresa_nome: r.try_get_by_index(8)?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()
        .map_err(db_err)?;
    Ok(Some((Ord::max(total, 0) as u64, items)))
}

/// The statement of [`postgres_page`]: `n`, then the list columns and the group's name.
///
/// The window is cut on ids alone (an index walk in the ordering's index: the skipped rows'
/// other columns are never read), and only its rows are joined to their full row and group.
/// The count and the window share the filter's parameters (`$1…$k`, the same condition
/// rendered twice); `OFFSET` is the last parameter. `LIMIT` is written into the text (the
/// page size: at most 100 values, in practice one or two, so the per-connection statement
/// cache holds the few in use): PostgreSQL then switches the prepared statement to its
/// generic plan after five runs (`pg_prepared_statements.generic_plans` counts them) instead
/// of planning it on every request, as it does with `LIMIT` as a parameter, whose generic
/// plan assumes a tenth of the table. Measured: 5,100–5,400 req/s against 3,200–3,400 for
/// the list page (docs/benchmarks.md, issue 12).
fn postgres_page_statement(
    cond: Condition,
    order: &[OrderBy],
    offset: u64,
    limit: u64,
) -> Result<Statement> {
    let ids = ordered(
        filtered(
            cliente::Entity::find().select_only().column(C::Id),
            cond.clone(),
        ),
        order,
        order_column,
        C::Id,
    )
    .build(DbBackend::Postgres);
    let values: Vec<Value> = ids.values.map(|v| v.0).unwrap_or_default();
    let count_sql = if cond.is_empty() {
        super::query::COUNTER_SUM.to_string()
    } else {
        let counted = filtered(cliente::Entity::find(), cond)
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .build(DbBackend::Postgres);
        if counted.values.map(|v| v.0).unwrap_or_default() != values {
            return Err(DomainError::internal(
                "cliente page: the count and the window bind different values",
            ));
        }
        format!("({})", counted.sql)
    };
    let offset_param = values.len() + 1;
    let sql = format!(
        "SELECT {count_sql} AS n, c.id, c.razao_social, c.nome_fantasia, c.cnpj, c.status, \
         c.email_principal, c.telefone_principal, g.nome FROM ({} LIMIT {limit} \
         OFFSET ${offset_param}) AS p JOIN clientes AS c ON c.id = p.id \
         LEFT JOIN grupos_empresa AS g ON g.id = c.grupo_empresa_id ORDER BY {}",
        ids.sql,
        order_sql(order)
    );
    let offset = i64::try_from(offset).map_err(DomainError::internal)?;
    let mut values = values;
    values.push(offset.into());
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
}

fn bad(what: &str) -> DomainError {
    DomainError::internal(format!("cliente page JSON: bad {what}"))
}

fn text(v: Json, what: &str) -> Result<String> {
    match v {
        Json::String(s) => Ok(s),
        _ => Err(bad(what)),
    }
}

fn opt_text(v: Json, what: &str) -> Result<Option<String>> {
    match v {
        Json::Null => Ok(None),
        other => text(other, what).map(Some),
    }
}

/// `[[id, razao_social, nome_fantasia, cnpj, status, email, telefone, grupo], …]`.
fn parse_page(json: &str) -> Result<Vec<ClienteResumo>> {
    let Json::Array(rows) = serde_json::from_str(json).map_err(DomainError::internal)? else {
        return Err(bad("page"));
    };
    rows.into_iter()
        .map(|row| {
            let Json::Array(cols) = row else {
                return Err(bad("row"));
            };
            let [id, razao, fantasia, cnpj, status, email, telefone, grupo]: [Json; 8] =
                cols.try_into().map_err(|_| bad("row width"))?;
            Ok(ClienteResumo {
                id: id.as_i64().ok_or_else(|| bad("id"))?,
                razao_social: text(razao, "razao_social")?,
                nome_fantasia: opt_text(fantasia, "nome_fantasia")?,
                cnpj: text(cnpj, "cnpj")?,
                status: text(status, "status")?,
                email_principal: opt_text(email, "email_principal")?,
                telefone_principal: opt_text(telefone, "telefone_principal")?,
                grupo_empresa_nome: opt_text(grupo, "grupo_empresa_nome")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_page;

    /// PostgreSQL (when `TEST_DATABASE_URL` is set): the real page statement, on a seeded and
    /// analysed table, cuts its window from an index in order (the `Limit` reads an index
    /// scan, no sort below it) and reads the unfiltered count from `cliente_row_counts`.
    #[tokio::test]
    async fn postgres_pages_read_their_index_in_order() {
        use crate::cliente_repo::{SeaOrmClienteRepository, query};
        use kernel::OrderBy;
        use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
        let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            return;
        };
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let admin = crate::connect(&url).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = crate::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"))
            .await
            .unwrap();
        crate::migrate(&db).await.unwrap();
        SeaOrmClienteRepository::new(db.clone())
            .seed(5_000)
            .await
            .unwrap();
        let [all, mine, ativos] = crate::cliente_repo::plan_filters();
        let cases = [
            (&all, vec![OrderBy::desc("criado_em")]),
            (&all, vec![OrderBy::asc("criado_em")]),
            (&all, vec![OrderBy::asc("razao_social")]),
            (&all, vec![OrderBy::desc("atualizado_em")]),
            (&all, vec![OrderBy::desc("status")]),
            (&all, vec![]),
            (&mine, vec![OrderBy::desc("criado_em")]),
            (&ativos, vec![OrderBy::desc("criado_em")]),
        ];
        for (filter, order) in cases {
            let cond = query::condition(filter, DbBackend::Postgres).unwrap();
            let unfiltered = cond.is_empty();
            let built = super::postgres_page_statement(cond, &order, 720, 20).unwrap();
            // The schema named again for this statement: the plan is the point here, and a
            // pooled connection is never left to resolve the tables elsewhere.
            let txn = db.begin().await.unwrap();
            txn.execute_unprepared(&format!("SET LOCAL search_path = {schema}"))
                .await
                .unwrap();
            let rows = txn
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    format!("EXPLAIN {}", built.sql),
                    built.values.map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap();
            txn.rollback().await.unwrap();
            let plan: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
                .collect();
            let text = plan.join("\n");
            let limit = plan
                .iter()
                .position(|l| l.contains("Limit"))
                .unwrap_or_else(|| panic!("{order:?}: no Limit: {text}"));
            assert!(
                !plan[limit..].iter().any(|l| l.contains("Sort")),
                "{filter:?} {order:?}: sorts below the window: {text}"
            );
            assert!(
                plan[limit + 1].contains("Index")
                    && (plan[limit + 1].contains("ix_clientes_")
                        || plan[limit + 1].contains("clientes_pkey")),
                "{filter:?} {order:?}: the window is not an index walk: {text}"
            );
            assert_eq!(
                text.contains("cliente_row_counts"),
                unfiltered,
                "{filter:?}: {text}"
            );
        }
        db.close().await.unwrap();
        admin
            .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
        admin.close().await.unwrap();
    }

    #[test]
    fn parses_json_pages() {
        let p = parse_page(
            r#"[[3,"ACME","Acme","11.222.333/0001-81","ativo",null,"(11) 9999-0000","G"]]"#,
        )
        .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].id, 3);
        assert_eq!(p[0].nome_fantasia.as_deref(), Some("Acme"));
        assert_eq!(p[0].email_principal, None);
        assert_eq!(p[0].grupo_empresa_nome.as_deref(), Some("G"));
        assert!(parse_page("[]").unwrap().is_empty());
        assert!(parse_page(r#"[[1,"a"]]"#).is_err());
        assert!(parse_page(r#"[[1,2,null,"c","s",null,null,null]]"#).is_err());
    }
}

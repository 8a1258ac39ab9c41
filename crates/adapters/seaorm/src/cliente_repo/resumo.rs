//! The narrow list page: only the columns of the list representation.
//!
//! On SQLite the count and the page come back in one statement, the page as a single
//! `json_group_array(json_array(…))` value: decoding one text value and parsing it is several
//! times cheaper than decoding 20 rows × 8 columns through the driver one value at a time.
//! PostgreSQL reads the same columns as rows.

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
        let Some(offset) = page.offset(n.max(1)) else {
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
    Ok((total.max(0) as u64, parse_page(&json)?))
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

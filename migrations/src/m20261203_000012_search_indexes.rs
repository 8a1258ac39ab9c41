//! Search served by indexes on PostgreSQL, and accent-insensitive on both databases.
//!
//! - Both: `clientes.search_text` is stored folded (lowercase, no diacritics: the kernel's
//!   `search_fold`), so `?search=joao` finds "JOÃO"; the rows written before are folded
//!   here (SQLite's `clientes_fts` follows through its update trigger).
//! - PostgreSQL only: the `pg_trgm` extension and GIN trigram indexes under every `search`
//!   and `icontains` path, so `LIKE '%term%'` (terms of three or more characters) is an index
//!   lookup instead of a scan of the table. Columns compared as `LOWER(col)` are indexed as
//!   that expression; several columns of one table share one multi-column GIN index (GIN
//!   answers a condition on any of its columns). SQLite keeps its FTS5 trigram index for the
//!   cliente search; its other `icontains` paths stay scans (documented in the benchmarks).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DbBackend, Statement, TransactionSession, TransactionTrait,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(index, table, indexed expressions)`.
const PG_INDEXES: &[(&str, &str, &[&str])] = &[
    ("ix_clientes_search_trgm", "clientes", &["search_text"]),
    (
        "ix_clientes_icontains_trgm",
        "clientes",
        &[
            "lower(razao_social)",
            "lower(nome_fantasia)",
            "lower(cnpj)",
            "lower(email_principal)",
            "lower(telefone_principal)",
            "lower(cidade)",
            "lower(ramo_atividade)",
            "lower(responsavel_legal_nome)",
        ],
    ),
    (
        "ix_contatos_icontains_trgm",
        "contatos",
        &[
            "lower(nome)",
            "lower(whatsapp)",
            "lower(email)",
            "lower(cargo)",
        ],
    ),
    (
        "ix_grupos_empresa_trgm",
        "grupos_empresa",
        &["lower(nome)", "lower(descricao)"],
    ),
    (
        "ix_documentos_busca_trgm",
        "documentos",
        &["nome_busca", "descricao_busca", "template_usado_busca"],
    ),
    (
        "ix_whatsapp_messages_trgm",
        "whatsapp_messages",
        &[
            "lower(text_content)",
            "lower(contact_number)",
            "lower(contact_name)",
        ],
    ),
    (
        "ix_whatsapp_sessions_trgm",
        "whatsapp_sessions",
        &["lower(phone_number)", "lower(device_name)"],
    ),
    (
        "ix_atendimentos_search_trgm",
        "atendimentos",
        &["lower(numero_whatsapp)", "lower(observacoes)"],
    ),
    (
        "ix_departamentos_trgm",
        "departamentos",
        &["lower(nome)", "lower(descricao)"],
    ),
];

/// What the repository stores as `search_text` (razão, fantasia, cnpj, email joined by a
/// newline, folded).
fn folded(parts: [Option<String>; 4]) -> String {
    let joined = parts.map(Option::unwrap_or_default).join("\n");
    kernel::text::search_fold(&joined)
}

/// Creates `pg_trgm` (in `public`, unless the database already has it elsewhere) and answers
/// the schema that holds it. Extensions are per database while each schema migrates on its
/// own (tests migrate many schemas of one database at once), hence `public` and not the
/// current schema, and a transaction-scoped advisory lock so that concurrent migrations do
/// not race on `CREATE EXTENSION`.
async fn trgm_schema<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<String, DbErr> {
    let tx = db.begin().await?;
    tx.execute_unprepared("SELECT pg_advisory_xact_lock(7341028)")
        .await?;
    tx.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        .await?;
    let row = tx
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT n.nspname AS schema FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("pg_trgm is not installed".into()))?;
    let schema: String = row.try_get("", "schema")?;
    tx.commit().await?;
    Ok(schema)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let tx = db.begin().await?;
        let rows = tx
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, razao_social, nome_fantasia, cnpj, email_principal, search_text \
                 FROM clientes",
            ))
            .await?;
        let update = match backend {
            DbBackend::Postgres => "UPDATE clientes SET search_text = $1 WHERE id = $2",
            _ => "UPDATE clientes SET search_text = ? WHERE id = ?",
        };
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let stored: String = row.try_get("", "search_text")?;
            let text = folded([
                row.try_get("", "razao_social")?,
                row.try_get("", "nome_fantasia")?,
                row.try_get("", "cnpj")?,
                row.try_get("", "email_principal")?,
            ]);
            if text != stored {
                tx.execute_raw(Statement::from_sql_and_values(
                    backend,
                    update,
                    [text.into(), id.into()],
                ))
                .await?;
            }
        }
        tx.commit().await?;
        if backend == DbBackend::Postgres {
            let schema = trgm_schema(db).await?;
            for (name, table, exprs) in PG_INDEXES {
                let cols = exprs
                    .iter()
                    .map(|e| format!("{e} \"{schema}\".gin_trgm_ops"))
                    .collect::<Vec<_>>()
                    .join(", ");
                db.execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({cols})"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            for (name, _, _) in PG_INDEXES {
                db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                    .await?;
            }
        }
        Ok(())
    }
}

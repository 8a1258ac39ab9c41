//! The atendimento repositories on sea-orm: departamentos, queue rows, atendimentos, the chat
//! operations whose rules the database enforces, and the chat intake. Raw statements (one
//! builder, [`sql::Sql`]) because the reads join four tables and the writes are conditional.

mod atendimentos;
mod automacoes;
mod chats;
mod departamentos;
mod distribuir;
mod filas;
mod intake;
mod json_page;
mod relatorios;
mod sql;

pub use atendimentos::SeaOrmAtendimentoRepository;
pub use automacoes::{SeaOrmAutomacoesRepository, SeaOrmAutomationMarks};
pub use chats::SeaOrmChatRepository;
pub use departamentos::SeaOrmDepartamentoRepository;
pub use filas::SeaOrmFilaRepository;
pub use intake::SeaOrmIntakeRepository;
pub use relatorios::SeaOrmRelatorioRepository;

use crate::support::db_err;
use async_trait::async_trait;
use atendimento::model::{AgentRef, Atendimento, Prioridade, Status, UltimaMensagem};
use chrono::{DateTime, Utc};
use kernel::{DomainError, FieldErrors, Result, messages as m};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult, Value};
use sql::{Sql, col};

/// The open statuses as SQL (`status IN (…)`).
pub(crate) const OPEN_SQL: &str = "('aguardando', 'em_atendimento', 'pausado')";

/// The partial unique index of the open atendimento of each chat.
pub(crate) const OPEN_CHAT_INDEX: &str = "ux_atendimentos_chat_open";

/// `FROM atendimentos` for a read of the open atendimentos of a list of chats
/// (`chat_id IN (…) AND status IN` [`OPEN_SQL`]). On SQLite it names [`OPEN_CHAT_INDEX`]: with
/// the statistics of a busy table the planner takes the status index instead and scans every
/// open row (91 ms instead of 1 ms for 64 chats among 16,000 open ones).
pub(crate) fn from_open_by_chat(backend: sea_orm::DbBackend) -> String {
    if backend == sea_orm::DbBackend::Sqlite {
        format!("FROM atendimentos INDEXED BY {OPEN_CHAT_INDEX}")
    } else {
        "FROM atendimentos".to_string()
    }
}

/// Every atendimento read: the row with its department's, cliente's and atendente's names.
pub(crate) const SELECT_ATENDIMENTO: &str = "SELECT a.*, d.nome AS d_nome, d.cor AS d_cor, \
     c.razao_social AS c_nome, c.email_principal AS c_email, c.telefone_principal AS c_tel, \
     g.username AS g_username, g.display_name AS g_display, g.is_active AS g_active \
     FROM atendimentos a \
     JOIN departamentos d ON d.id = a.departamento_id \
     JOIN clientes c ON c.id = a.cliente_id \
     LEFT JOIN agents g ON g.id = a.atendente_id";

fn status_of(s: &str) -> Result<Status, DbErr> {
    Status::parse(s).ok_or_else(|| DbErr::Custom(format!("unknown atendimento status {s}")))
}

pub(crate) fn prioridade_of(s: &str) -> Result<Prioridade, DbErr> {
    Prioridade::parse(s).ok_or_else(|| DbErr::Custom(format!("unknown prioridade {s}")))
}

pub(crate) fn atendimento_of(r: &QueryResult) -> Result<Atendimento, DbErr> {
    let atendente = match col::<Option<i64>>(r, "atendente_id")? {
        Some(id) => Some(AgentRef {
            id,
            username: col::<Option<String>>(r, "g_username")?.unwrap_or_default(),
            display_name: col::<Option<String>>(r, "g_display")?.unwrap_or_default(),
            is_active: col::<Option<bool>>(r, "g_active")?.unwrap_or(false),
        }),
        None => None,
    };
    let ultima = match col::<Option<DateTime<Utc>>>(r, "ultima_mensagem_em")? {
        Some(em) => Some(UltimaMensagem {
            texto: col::<Option<String>>(r, "ultima_mensagem_texto")?.unwrap_or_default(),
            em,
            tipo: col::<Option<String>>(r, "ultima_mensagem_tipo")?.unwrap_or_default(),
            direcao: col::<Option<String>>(r, "ultima_mensagem_direcao")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Atendimento {
        id: col(r, "id")?,
        departamento: col(r, "departamento_id")?,
        departamento_nome: col(r, "d_nome")?,
        departamento_cor: col(r, "d_cor")?,
        cliente: col(r, "cliente_id")?,
        cliente_nome: col(r, "c_nome")?,
        cliente_email: col(r, "c_email")?,
        cliente_telefone: col(r, "c_tel")?,
        atendente,
        chat_id: col(r, "chat_id")?,
        numero_whatsapp: col(r, "numero_whatsapp")?,
        status: status_of(&col::<String>(r, "status")?)?,
        prioridade: prioridade_of(&col::<String>(r, "prioridade")?)?,
        tempo_primeira_resposta_segundos: col(r, "tempo_primeira_resposta_segundos")?,
        tempo_total_atendimento_segundos: col(r, "tempo_total_atendimento_segundos")?,
        total_mensagens_cliente: col(r, "total_mensagens_cliente")?,
        total_mensagens_atendente: col(r, "total_mensagens_atendente")?,
        avaliacao: col(r, "avaliacao")?,
        comentario_avaliacao: col(r, "comentario_avaliacao")?,
        observacoes: col(r, "observacoes")?,
        criado_em: col(r, "criado_em")?,
        iniciado_em: col(r, "iniciado_em")?,
        primeira_resposta_em: col(r, "primeira_resposta_em")?,
        finalizado_em: col(r, "finalizado_em")?,
        atualizado_em: col(r, "atualizado_em")?,
        janela_desde: col(r, "janela_desde")?,
        total_mensagens: col(r, "total_mensagens")?,
        mensagens_nao_lidas: col(r, "mensagens_nao_lidas")?,
        ultima_mensagem: ultima,
        auto_encerrado: col(r, "auto_encerrado")?,
        mensagem_inicial: col(r, "mensagem_inicial")?,
    })
}

/// Runs `q` and maps every row to an atendimento.
pub(crate) async fn atendimentos<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<Atendimento>> {
    let rows = db
        .query_all_raw(q.build(db.get_database_backend()))
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| atendimento_of(r).map_err(DomainError::internal))
        .collect()
}

/// The atendimento `id` (with `scope`: only if that agent is its atendente).
pub(crate) async fn fetch<D: ConnectionTrait>(
    db: &D,
    id: i64,
    scope: Option<i64>,
) -> Result<Option<Atendimento>> {
    let mut q = Sql::new(SELECT_ATENDIMENTO);
    q.bind1(" WHERE a.id = ?", id);
    if let Some(s) = scope {
        q.bind1(" AND a.atendente_id = ?", s);
    }
    Ok(atendimentos(db, &q).await?.into_iter().next())
}

/// Executes `q`; returns the affected row count.
pub(crate) async fn exec<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<u64> {
    Ok(db
        .execute_raw(q.build(db.get_database_backend()))
        .await
        .map_err(db_err)?
        .rows_affected())
}

/// The rows of `q`.
pub(crate) async fn rows<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<QueryResult>> {
    db.query_all_raw(q.build(db.get_database_backend()))
        .await
        .map_err(db_err)
}

/// The first column (an integer) of each row of `q`.
pub(crate) async fn ids<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<i64>> {
    rows(db, q)
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<i64>(0).map_err(DomainError::internal))
        .collect()
}

/// `INSERT … RETURNING id`.
pub(crate) async fn insert_returning_id<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<i64> {
    ids(db, q)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DomainError::internal("INSERT returned no id"))
}

/// `COUNT(*)`-like single integer.
pub(crate) async fn scalar<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<i64> {
    Ok(ids(db, q).await?.into_iter().next().unwrap_or(0))
}

/// Checks that the referenced rows exist: each missing one is the contract's
/// `Pk inválido "<v>" - objeto não existe.` under its field.
pub(crate) async fn check_refs<D: ConnectionTrait>(
    db: &D,
    refs: &[(&str, &str, Option<i64>)],
) -> Result<()> {
    let mut e = FieldErrors::new();
    for (field, table, id) in refs {
        let Some(id) = id else { continue };
        let n = scalar(
            db,
            Sql::new(&format!("SELECT COUNT(*) FROM {table}")).bind1(" WHERE id = ?", *id),
        )
        .await?;
        if n == 0 {
            e.add(field, m::invalid_pk(&id.to_string()));
        }
    }
    e.into_result()
}

/// Takes the write lock (SQLite) at the start of a transaction that reads before it writes.
pub(crate) async fn lock<D: ConnectionTrait>(db: &D) -> Result<()> {
    crate::whatsapp_repo::write_lock(db).await
}

/// Whether a driver error is the violation of the named unique index/constraint.
pub(crate) fn violates(e: &DomainError, needles: &[&str]) -> bool {
    matches!(e, DomainError::Conflict(msg) if needles.iter().any(|n| msg.contains(n)))
}

pub(crate) fn text_value(s: &str) -> Value {
    s.to_string().into()
}

/// The agent directory (`AgentDirectory`) on the agents table.
pub struct SeaOrmAgentDirectory {
    db: DatabaseConnection,
}

impl SeaOrmAgentDirectory {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

#[async_trait]
impl atendimento::ports::AgentDirectory for SeaOrmAgentDirectory {
    async fn get(&self, id: i64) -> Result<Option<AgentRef>> {
        let rows = rows(
            &self.db,
            Sql::new("SELECT id, username, display_name, is_active FROM agents")
                .bind1(" WHERE id = ?", id),
        )
        .await?;
        rows.first()
            .map(|r| {
                Ok(AgentRef {
                    id: col(r, "id")?,
                    username: col(r, "username")?,
                    display_name: col(r, "display_name")?,
                    is_active: col(r, "is_active")?,
                })
            })
            .transpose()
            .map_err(|e: DbErr| DomainError::internal(e))
    }
}

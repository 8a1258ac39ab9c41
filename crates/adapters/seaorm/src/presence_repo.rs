//! Presence, typing indicators and notification preferences on sea-orm, in plain SQL that
//! runs on SQLite and PostgreSQL alike (placeholders numbered for PostgreSQL).
//!
//! - Get-or-create: `INSERT … ON CONFLICT (<owner>) DO NOTHING` against the unique index, so
//!   racing first reads insert one row and all read it.
//! - `set_status` reads the old status and writes the new one in one transaction: the row is
//!   locked first (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction's first
//!   statement is the insert-if-absent, which takes the write lock).
//! - The heartbeat's offline → online step is one conditional `UPDATE … WHERE status =
//!   'offline'`; its affected-row count says whether the agent came online.
//! - The presence timeout is one conditional `UPDATE … RETURNING agent_id`. On PostgreSQL it
//!   runs inside a transaction that first takes `pg_try_advisory_xact_lock`: when several
//!   processes share the database, one runs the tick and the others skip it. The lock is keyed
//!   by the schema too, so deployments sharing a server in different schemas do not contend.

use crate::support::db_err;
use async_trait::async_trait;
use atendimento::presenca::ports::{PreferenciasRepository, PresenceRepository, TypingRepository};
use atendimento::presenca::{
    ChatId, Preferencias, PreferenciasPatch, Presence, PresenceStatus, StatusChange, StatusMessage,
};
use chrono::{DateTime, NaiveTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, SqlErr, Statement,
    TransactionTrait, Value,
};

/// First key of the presence timeout's advisory lock (`"DXPR"`); the second is the schema's
/// hash.
pub const PRESENCE_TICK_LOCK: i32 = 0x4458_5052;

/// The model named when the owning agent does not exist.
const AGENT: &str = "Agent";

pub struct SeaOrmPresenceRepository {
    db: DatabaseConnection,
}

impl SeaOrmPresenceRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// `?` placeholders as the backend wants them (`$1`, `$2`, … on PostgreSQL). Our SQL has no
/// `?` inside literals.
fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for ch in sql.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// An insert that names an agent that does not exist is a lookup miss, not a bug.
fn owner_err(e: DbErr) -> DomainError {
    match e.sql_err() {
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::NotFound(AGENT),
        _ => db_err(e),
    }
}

async fn exec<C: ConnectionTrait>(db: &C, sql: &str, values: Vec<Value>) -> Result<u64> {
    let r = db
        .execute_raw(stmt(db.get_database_backend(), sql, values))
        .await
        .map_err(owner_err)?;
    Ok(r.rows_affected())
}

async fn one<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<QueryResult>> {
    db.query_one_raw(stmt(db.get_database_backend(), sql, values))
        .await
        .map_err(db_err)
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> Result<T> {
    row.try_get::<T>("", col).map_err(db_err)
}

// --- presence -------------------------------------------------------------------------------

const PRESENCE_SELECT: &str = "SELECT p.id, p.agent_id, a.username, p.status, p.status_message, \
     p.last_heartbeat, p.status_changed_at, p.updated_at \
     FROM agent_presence p JOIN agents a ON a.id = p.agent_id WHERE p.agent_id = ?";

fn presence_of(row: &QueryResult) -> Result<Presence> {
    let status: String = get(row, "status")?;
    Ok(Presence {
        id: get(row, "id")?,
        agent: get(row, "agent_id")?,
        agent_username: get(row, "username")?,
        status: PresenceStatus::parse(&status).unwrap_or_default(),
        status_message: get(row, "status_message")?,
        last_heartbeat: get(row, "last_heartbeat")?,
        status_changed_at: get(row, "status_changed_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

async fn read_presence<C: ConnectionTrait>(db: &C, agent: i64) -> Result<Option<Presence>> {
    match one(db, PRESENCE_SELECT, vec![agent.into()]).await? {
        Some(row) => presence_of(&row).map(Some),
        None => Ok(None),
    }
}

/// Inserts the agent's default presence unless it has one (the unique index decides).
async fn ensure_presence<C: ConnectionTrait>(db: &C, agent: i64, at: DateTime<Utc>) -> Result<()> {
    exec(
        db,
        "INSERT INTO agent_presence (agent_id, status, status_message, last_heartbeat, \
         websocket_connected, status_changed_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?) \
         ON CONFLICT (agent_id) DO NOTHING",
        vec![
            agent.into(),
            PresenceStatus::Offline.as_str().into(),
            at.into(),
            false.into(),
            at.into(),
            at.into(),
        ],
    )
    .await?;
    Ok(())
}

async fn required<C: ConnectionTrait>(db: &C, agent: i64) -> Result<Presence> {
    read_presence(db, agent)
        .await?
        .ok_or(DomainError::NotFound(AGENT))
}

#[async_trait]
impl PresenceRepository for SeaOrmPresenceRepository {
    async fn get_or_create(&self, agent: i64, at: DateTime<Utc>) -> Result<Presence> {
        if let Some(p) = read_presence(&self.db, agent).await? {
            return Ok(p);
        }
        ensure_presence(&self.db, agent, at).await?;
        required(&self.db, agent).await
    }

    async fn set_status(
        &self,
        agent: i64,
        status: PresenceStatus,
        message: &StatusMessage,
        at: DateTime<Utc>,
    ) -> Result<StatusChange> {
        let txn = self.db.begin().await.map_err(db_err)?;
        // First statement a write: on SQLite it takes the write lock for the whole
        // transaction (a read first could be refused with SQLITE_BUSY_SNAPSHOT later).
        ensure_presence(&txn, agent, at).await?;
        let lock = if txn.get_database_backend() == DbBackend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = one(
            &txn,
            &format!("SELECT status FROM agent_presence WHERE agent_id = ?{lock}"),
            vec![agent.into()],
        )
        .await?
        .ok_or(DomainError::NotFound(AGENT))?;
        let old: String = get(&row, "status")?;
        let old = PresenceStatus::parse(&old).unwrap_or_default();
        exec(
            &txn,
            "UPDATE agent_presence SET status = ?, \
             status_message = CASE WHEN ? THEN ? ELSE status_message END, \
             status_changed_at = CASE WHEN ? THEN ? ELSE status_changed_at END, \
             updated_at = ? WHERE agent_id = ?",
            vec![
                status.as_str().into(),
                (!message.is_empty()).into(),
                message.as_str().into(),
                (old != status).into(),
                at.into(),
                at.into(),
                agent.into(),
            ],
        )
        .await?;
        let presence = required(&txn, agent).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(StatusChange { old, presence })
    }

    async fn heartbeat(
        &self,
        agent: i64,
        at: DateTime<Utc>,
        connected: bool,
    ) -> Result<Option<Presence>> {
        ensure_presence(&self.db, agent, at).await?;
        if connected {
            let came_online = exec(
                &self.db,
                "UPDATE agent_presence SET status = ?, status_changed_at = ?, \
                 last_heartbeat = ?, websocket_connected = ?, updated_at = ? \
                 WHERE agent_id = ? AND status = ?",
                vec![
                    PresenceStatus::Online.as_str().into(),
                    at.into(),
                    at.into(),
                    true.into(),
                    at.into(),
                    agent.into(),
                    PresenceStatus::Offline.as_str().into(),
                ],
            )
            .await?
                == 1;
            if came_online {
                return required(&self.db, agent).await.map(Some);
            }
        }
        exec(
            &self.db,
            "UPDATE agent_presence SET last_heartbeat = ?, websocket_connected = ?, \
             updated_at = ? WHERE agent_id = ?",
            vec![at.into(), connected.into(), at.into(), agent.into()],
        )
        .await?;
        Ok(None)
    }

    async fn expire_stale(&self, cutoff: DateTime<Utc>, at: DateTime<Utc>) -> Result<Vec<i64>> {
        let expiring: Vec<&str> = PresenceStatus::ALL
            .into_iter()
            .filter(|s| s.expires())
            .map(|s| s.as_str())
            .collect();
        let sql = format!(
            "UPDATE agent_presence SET status = ?, websocket_connected = ?, \
             status_changed_at = ?, updated_at = ? \
             WHERE status IN ({}) AND last_heartbeat < ? RETURNING agent_id",
            vec!["?"; expiring.len()].join(", ")
        );
        let mut values: Vec<Value> = vec![
            PresenceStatus::Offline.as_str().into(),
            false.into(),
            at.into(),
            at.into(),
        ];
        values.extend(expiring.into_iter().map(Value::from));
        values.push(cutoff.into());
        let txn = self.db.begin().await.map_err(db_err)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            let got = one(
                &txn,
                &format!(
                    "SELECT pg_try_advisory_xact_lock({PRESENCE_TICK_LOCK}, \
                     hashtext(current_schema()::text)) AS locked"
                ),
                vec![],
            )
            .await?;
            let locked = match got {
                Some(row) => get::<bool>(&row, "locked")?,
                None => false,
            };
            if !locked {
                // Another process is running this tick.
                return Ok(Vec::new());
            }
        }
        let rows = txn
            .query_all_raw(stmt(txn.get_database_backend(), &sql, values))
            .await
            .map_err(db_err)?;
        let mut agents = rows
            .iter()
            .map(|r| get::<i64>(r, "agent_id"))
            .collect::<Result<Vec<_>>>()?;
        txn.commit().await.map_err(db_err)?;
        agents.sort_unstable();
        Ok(agents)
    }
}

// --- typing ---------------------------------------------------------------------------------

#[async_trait]
impl TypingRepository for SeaOrmPresenceRepository {
    async fn start(&self, agent: i64, chat: &ChatId, at: DateTime<Utc>) -> Result<()> {
        exec(
            &self.db,
            "INSERT INTO typing_indicators (agent_id, chat_id, is_typing, started_at, updated_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id, chat_id) DO UPDATE SET \
             started_at = CASE WHEN typing_indicators.is_typing \
                 THEN typing_indicators.started_at ELSE excluded.started_at END, \
             is_typing = excluded.is_typing, updated_at = excluded.updated_at",
            vec![
                agent.into(),
                chat.as_str().into(),
                true.into(),
                at.into(),
                at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn stop(&self, agent: i64, chat: &ChatId, at: DateTime<Utc>) -> Result<bool> {
        let n = exec(
            &self.db,
            "UPDATE typing_indicators SET is_typing = ?, updated_at = ? \
             WHERE agent_id = ? AND chat_id = ?",
            vec![false.into(), at.into(), agent.into(), chat.as_str().into()],
        )
        .await?;
        Ok(n > 0)
    }
}

// --- preferences ----------------------------------------------------------------------------

const PREFERENCIAS_COLUMNS: &str = "id, usuario_id, som_nova_mensagem, som_novo_atendimento, \
     som_transferencia, desktop_nova_mensagem, desktop_novo_atendimento, desktop_transferencia, \
     mostrar_badge_mensagens, mostrar_badge_atendimentos, modo_nao_perturbe, \
     nao_perturbe_inicio, nao_perturbe_fim, criado_em, atualizado_em";

/// Columns a patch may write (the domain's field names are the column names).
const PATCHABLE: [&str; 11] = [
    "som_nova_mensagem",
    "som_novo_atendimento",
    "som_transferencia",
    "desktop_nova_mensagem",
    "desktop_novo_atendimento",
    "desktop_transferencia",
    "mostrar_badge_mensagens",
    "mostrar_badge_atendimentos",
    "modo_nao_perturbe",
    "nao_perturbe_inicio",
    "nao_perturbe_fim",
];

fn preferencias_of(row: &QueryResult) -> Result<Preferencias> {
    Ok(Preferencias {
        id: get(row, "id")?,
        usuario: get(row, "usuario_id")?,
        som_nova_mensagem: get(row, "som_nova_mensagem")?,
        som_novo_atendimento: get(row, "som_novo_atendimento")?,
        som_transferencia: get(row, "som_transferencia")?,
        desktop_nova_mensagem: get(row, "desktop_nova_mensagem")?,
        desktop_novo_atendimento: get(row, "desktop_novo_atendimento")?,
        desktop_transferencia: get(row, "desktop_transferencia")?,
        mostrar_badge_mensagens: get(row, "mostrar_badge_mensagens")?,
        mostrar_badge_atendimentos: get(row, "mostrar_badge_atendimentos")?,
        modo_nao_perturbe: get(row, "modo_nao_perturbe")?,
        nao_perturbe_inicio: get::<Option<NaiveTime>>(row, "nao_perturbe_inicio")?,
        nao_perturbe_fim: get::<Option<NaiveTime>>(row, "nao_perturbe_fim")?,
        criado_em: get(row, "criado_em")?,
        atualizado_em: get(row, "atualizado_em")?,
    })
}

async fn read_preferencias<C: ConnectionTrait>(
    db: &C,
    usuario: i64,
) -> Result<Option<Preferencias>> {
    let sql =
        format!("SELECT {PREFERENCIAS_COLUMNS} FROM preferencias_notificacao WHERE usuario_id = ?");
    match one(db, &sql, vec![usuario.into()]).await? {
        Some(row) => preferencias_of(&row).map(Some),
        None => Ok(None),
    }
}

/// Inserts the defaults (§3) unless the agent has preferences (the unique index decides).
async fn ensure_preferencias<C: ConnectionTrait>(
    db: &C,
    usuario: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut values: Vec<Value> = vec![usuario.into()];
    // Every flag true but `modo_nao_perturbe`; no times.
    values.extend([true; 8].map(Value::from));
    values.push(false.into());
    values.push(Option::<NaiveTime>::None.into());
    values.push(Option::<NaiveTime>::None.into());
    values.push(at.into());
    values.push(at.into());
    let sql = format!(
        "INSERT INTO preferencias_notificacao (usuario_id, {}, criado_em, atualizado_em) \
         VALUES (?, {}, ?, ?) ON CONFLICT (usuario_id) DO NOTHING",
        PATCHABLE.join(", "),
        vec!["?"; PATCHABLE.len()].join(", ")
    );
    exec(db, &sql, values).await?;
    Ok(())
}

#[async_trait]
impl PreferenciasRepository for SeaOrmPresenceRepository {
    async fn get_or_create(&self, usuario: i64, at: DateTime<Utc>) -> Result<Preferencias> {
        if let Some(p) = read_preferencias(&self.db, usuario).await? {
            return Ok(p);
        }
        ensure_preferencias(&self.db, usuario, at).await?;
        read_preferencias(&self.db, usuario)
            .await?
            .ok_or(DomainError::NotFound(AGENT))
    }

    async fn update(
        &self,
        usuario: i64,
        patch: &PreferenciasPatch,
        at: DateTime<Utc>,
    ) -> Result<Preferencias> {
        ensure_preferencias(&self.db, usuario, at).await?;
        let mut sets: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        for (col, v) in patch.booleans() {
            sets.push(column(col)?);
            values.push(v.into());
        }
        for (col, v) in patch.times() {
            sets.push(column(col)?);
            values.push(v.into());
        }
        sets.push("atualizado_em = ?".into());
        values.push(at.into());
        values.push(usuario.into());
        let sql = format!(
            "UPDATE preferencias_notificacao SET {} WHERE usuario_id = ? \
             RETURNING {PREFERENCIAS_COLUMNS}",
            sets.join(", ")
        );
        let row = one(&self.db, &sql, values)
            .await?
            .ok_or(DomainError::NotFound(AGENT))?;
        preferencias_of(&row)
    }
}

/// `<col> = ?` for a whitelisted column.
fn column(name: &str) -> Result<String> {
    if PATCHABLE.contains(&name) {
        Ok(format!("{name} = ?"))
    } else {
        Err(DomainError::internal(format!(
            "not a preferences column: {name}"
        )))
    }
}

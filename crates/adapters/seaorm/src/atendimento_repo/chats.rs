//! The chat operations of §4.6/§4.7 whose rules hold under concurrency: each is one
//! conditional write, or one transaction that takes its locks first.

use super::sql::{Sql, col};
use super::{
    SELECT_ATENDIMENTO, atendimentos, exec, fetch, insert_returning_id, lock, rows, text_value,
};
use crate::entities::whatsapp_message as wm;
use crate::support::db_err;
use async_trait::async_trait;
use atendimento::commands::{ChatFilter, ChatSort, MessageWindow};
use atendimento::model::{Atendimento, ChatMessage, Transferencia};
use atendimento::ports::{Atribuicao, ChatRepository, FinalizeOp, TransferOp};
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::ExprTrait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, Value,
};
use std::collections::HashMap;

pub struct SeaOrmChatRepository {
    pub(super) db: DatabaseConnection,
}

impl SeaOrmChatRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

/// PostgreSQL: locks the agent rows (in id order), so that accepts and distributions that
/// count an agent's load are serialized per agent. SQLite: the write lock serializes all.
pub(super) async fn lock_agents<D: ConnectionTrait>(db: &D, agents: &[i64]) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        if agents.is_empty() {
            return Ok(());
        }
        let mut q = Sql::new("SELECT id FROM agents WHERE ");
        q.in_list("id", agents.iter().map(|a| Value::from(*a)).collect())
            .push(" ORDER BY id FOR UPDATE");
        rows(db, &q).await?;
        Ok(())
    } else {
        lock(db).await
    }
}

/// PostgreSQL: locks the atendimento row for the rest of the transaction.
async fn lock_row<D: ConnectionTrait>(db: &D, id: i64) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        rows(
            db,
            Sql::new("SELECT id FROM atendimentos").bind1(" WHERE id = ? FOR UPDATE", id),
        )
        .await?;
        Ok(())
    } else {
        lock(db).await
    }
}

/// Display names (else usernames) of agents.
async fn sender_names<D: ConnectionTrait>(db: &D, ids: &[i64]) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new("SELECT id, username, display_name FROM agents WHERE ");
    q.in_list("id", ids.iter().map(|i| Value::from(*i)).collect());
    let mut out = HashMap::new();
    for r in rows(db, &q).await? {
        let id: i64 = col(&r, "id").map_err(DomainError::internal)?;
        let display: String = col(&r, "display_name").map_err(DomainError::internal)?;
        let username: String = col(&r, "username").map_err(DomainError::internal)?;
        out.insert(
            id,
            if display.is_empty() {
                username
            } else {
                display
            },
        );
    }
    Ok(out)
}

/// Whether a stored message was sent by the system (automations), not by an agent.
pub(crate) fn is_system(m: &whatsapp::Message) -> bool {
    m.payload
        .get("sistema")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

async fn transferencia<D: ConnectionTrait>(db: &D, id: i64) -> Result<Transferencia> {
    let q = Sql::new(
        "SELECT t.*, o.username AS o_nome, x.username AS x_nome, do_.nome AS do_nome, \
         dd.nome AS dd_nome FROM transferencias t \
         LEFT JOIN agents o ON o.id = t.atendente_origem_id \
         LEFT JOIN agents x ON x.id = t.atendente_destino_id \
         LEFT JOIN departamentos do_ ON do_.id = t.departamento_origem_id \
         LEFT JOIN departamentos dd ON dd.id = t.departamento_destino_id",
    );
    let mut q = q;
    q.bind1(" WHERE t.id = ?", id);
    let rs = rows(db, &q).await?;
    let r = rs
        .first()
        .ok_or_else(|| DomainError::internal("transferencia vanished"))?;
    (|| {
        Ok::<_, sea_orm::DbErr>(Transferencia {
            id: col(r, "id")?,
            atendimento: col(r, "atendimento_id")?,
            atendente_origem: col(r, "atendente_origem_id")?,
            atendente_origem_nome: col(r, "o_nome")?,
            atendente_destino: col(r, "atendente_destino_id")?,
            atendente_destino_nome: col(r, "x_nome")?,
            departamento_origem: col(r, "departamento_origem_id")?,
            departamento_origem_nome: col(r, "do_nome")?,
            departamento_destino: col(r, "departamento_destino_id")?,
            departamento_destino_nome: col(r, "dd_nome")?,
            motivo: col(r, "motivo")?,
            aceito: col(r, "aceito")?,
            aceito_em: col(r, "aceito_em")?,
            criado_em: col(r, "criado_em")?,
        })
    })()
    .map_err(DomainError::internal)
}

/// The open chats' default order (newest message first) is the order of this partial index.
pub(crate) const OPEN_RECENT_INDEX: &str = "ix_atendimentos_open_recent";

/// The list's `SELECT … FROM`: on SQLite, the default list (open rows, newest message first,
/// no atendente or department filter) names [`OPEN_RECENT_INDEX`], which SQLite's planner
/// otherwise passes over for the status index on small or unanalysed tables, then sorts
/// every open chat to cut one page.
fn list_select(backend: DbBackend, f: &ChatFilter) -> String {
    let default_order = f.status.is_none()
        && f.sort == ChatSort::LastMessage
        && f.descending
        && f.atendente.is_none()
        && f.departamento.is_none();
    if backend == DbBackend::Sqlite && default_order {
        SELECT_ATENDIMENTO.replacen(
            "FROM atendimentos a",
            &format!("FROM atendimentos a INDEXED BY {OPEN_RECENT_INDEX}"),
            1,
        )
    } else {
        SELECT_ATENDIMENTO.to_string()
    }
}

#[async_trait]
impl ChatRepository for SeaOrmChatRepository {
    /// SQLite: `chat_list_version`, moved by triggers (migration 000014). PostgreSQL keeps
    /// none.
    async fn list_version(&self) -> Result<Option<i64>> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let q = Sql::new("SELECT v AS id FROM chat_list_version WHERE id = 1");
        Ok(super::ids(&self.db, &q).await?.into_iter().next())
    }

    async fn list(&self, f: &ChatFilter) -> Result<Vec<Atendimento>> {
        let mut q = Sql::new(&list_select(self.db.get_database_backend(), f));
        match f.status {
            Some(s) => q.bind1(" WHERE a.status = ?", text_value(s.as_str())),
            None => q.push(" WHERE a.status <> 'finalizado'"),
        };
        if let Some(a) = f.atendente {
            q.bind1(" AND a.atendente_id = ?", a);
        }
        if let Some(d) = f.departamento {
            q.bind1(" AND a.departamento_id = ?", d);
        }
        if let Some(s) = f.scope {
            q.bind1(" AND (a.atendente_id = ? OR a.status = 'aguardando')", s);
        }
        let dir = if f.descending { "DESC" } else { "ASC" };
        let order = match f.sort {
            // Rows without messages last when descending (first when ascending).
            ChatSort::LastMessage if f.descending => {
                "(a.ultima_mensagem_em IS NULL) ASC, a.ultima_mensagem_em DESC".to_string()
            }
            ChatSort::LastMessage => {
                "(a.ultima_mensagem_em IS NULL) DESC, a.ultima_mensagem_em ASC".to_string()
            }
            ChatSort::Priority => format!("a.prioridade_rank {dir}"),
            ChatSort::Created => format!("a.criado_em {dir}"),
            ChatSort::Updated => format!("a.atualizado_em {dir}"),
        };
        q.push(&format!(" ORDER BY {order}, a.id {dir}"));
        if let Some(p) = f.page {
            let limit = i64::try_from(p.limit).unwrap_or(i64::MAX);
            let offset = i64::try_from(p.offset).unwrap_or(i64::MAX);
            if self.db.get_database_backend() == DbBackend::Postgres {
                // `LIMIT` in the text (the edge caps it at 500; in practice one or two values):
                // PostgreSQL then runs the prepared statement on its generic plan after five
                // runs instead of planning it on every request, as it does when `LIMIT` is a
                // parameter (see `cliente_repo/resumo.rs`).
                q.push(&format!(" LIMIT {limit}"))
                    .bind1(" OFFSET ?", offset);
            } else {
                q.bind(" LIMIT ? OFFSET ?", [limit.into(), offset.into()]);
            }
        }
        if self.db.get_database_backend() == DbBackend::Sqlite {
            return super::json_page::list(&self.db, &q).await;
        }
        atendimentos(&self.db, &q).await
    }

    async fn messages(&self, a: &Atendimento, w: MessageWindow) -> Result<(u64, Vec<ChatMessage>)> {
        let cond = wm::Column::ChatId
            .eq(a.chat_id.clone())
            .and(wm::Column::CreatedAt.gte(a.janela_desde));
        let total =
            crate::support::count(&self.db, wm::Entity::find().filter(cond.clone())).await?;
        let models = wm::Entity::find()
            .filter(cond)
            .order_by(wm::Column::CreatedAt, Order::Desc)
            .order_by(wm::Column::Id, Order::Desc)
            .offset(w.offset)
            .limit(w.limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let messages = crate::whatsapp_repo::messages::with_names(&self.db, models).await?;
        let mut senders: Vec<i64> = messages
            .iter()
            .filter(|m| m.direction == whatsapp::Direction::Outbound)
            .map(|m| m.usuario)
            .collect();
        senders.sort_unstable();
        senders.dedup();
        let names = sender_names(&self.db, &senders).await?;
        let out = messages
            .into_iter()
            .map(|m| {
                let from_name = if m.direction == whatsapp::Direction::Outbound {
                    if is_system(&m) {
                        "Sistema".to_string()
                    } else {
                        names
                            .get(&m.usuario)
                            .cloned()
                            .unwrap_or_else(|| "Sistema".to_string())
                    }
                } else if m.contact_name.is_empty() {
                    m.contact_number.clone()
                } else {
                    m.contact_name.clone()
                };
                ChatMessage {
                    message: m,
                    from_name,
                }
            })
            .collect();
        Ok((total, out))
    }

    async fn aceitar(
        &self,
        id: i64,
        atendente: i64,
        observacoes: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_agents(&txn, &[atendente]).await?;
        let Some(before) = fetch(&txn, id, None).await? else {
            return Ok(None);
        };
        let espera = Ord::max((now - before.criado_em).num_seconds(), 0);
        let mut q = Sql::new("UPDATE atendimentos SET status = 'em_atendimento'");
        q.bind(
            ", atendente_id = ?, iniciado_em = ?, atualizado_em = ?, \
             observacoes = COALESCE(?, observacoes), tempo_espera_segundos = ?",
            [
                atendente.into(),
                now.into(),
                now.into(),
                observacoes.into(),
                espera.into(),
            ],
        )
        .bind1(" WHERE id = ? AND status = 'aguardando'", id);
        if exec(&txn, &q).await? == 0 {
            return Ok(None);
        }
        exec(
            &txn,
            Sql::new("DELETE FROM filas_atendimento WHERE chat_id = ")
                .bind1("(SELECT chat_id FROM atendimentos WHERE id = ?)", id),
        )
        .await?;
        let a = fetch(&txn, id, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(a)
    }

    async fn transferir(
        &self,
        id: i64,
        op: &TransferOp,
        now: DateTime<Utc>,
    ) -> Result<Option<(Atendimento, Transferencia)>> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_row(&txn, id).await?;
        let Some(before) = fetch(&txn, id, None).await? else {
            return Ok(None);
        };
        if !before.status.is_open() || before.atendente_id() != op.atendente_origem {
            return Ok(None);
        }
        let destino_dep = op.departamento_destino.unwrap_or(before.departamento);
        let mut q = Sql::new("UPDATE atendimentos SET");
        q.bind(
            " atendente_id = ?, departamento_id = ?, atualizado_em = ?",
            [op.atendente_destino.into(), destino_dep.into(), now.into()],
        )
        .bind1(" WHERE id = ?", id);
        exec(&txn, &q).await?;
        let mut t = Sql::new(
            "INSERT INTO transferencias (atendimento_id, atendente_origem_id, atendente_destino_id, \
             departamento_origem_id, departamento_destino_id, motivo, aceito, aceito_em, criado_em)",
        );
        t.bind(
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                id.into(),
                op.atendente_origem.into(),
                op.atendente_destino.into(),
                before.departamento.into(),
                destino_dep.into(),
                text_value(&op.motivo),
                true.into(),
                op.aceito_em.into(),
                now.into(),
            ],
        );
        let tid = insert_returning_id(&txn, &t).await?;
        let after = fetch(&txn, id, None).await?;
        let tr = transferencia(&txn, tid).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(after.map(|a| (a, tr)))
    }

    async fn finalizar(
        &self,
        id: i64,
        op: &FinalizeOp,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_row(&txn, id).await?;
        let Some(before) = fetch(&txn, id, None).await? else {
            return Ok(None);
        };
        if op.unless_finalizado && before.status == atendimento::Status::Finalizado {
            return Ok(None);
        }
        if let Some(b) = op.idle_before
            && (before.status != atendimento::Status::EmAtendimento || before.atualizado_em >= b)
        {
            return Ok(None);
        }
        let total = before
            .iniciado_em
            .map(|i| Ord::max((now - i).num_seconds(), 0));
        let mut q = Sql::new("UPDATE atendimentos SET status = 'finalizado'");
        q.bind(
            ", finalizado_em = ?, atualizado_em = ?, observacoes = COALESCE(?, observacoes), \
             tempo_total_atendimento_segundos = COALESCE(?, tempo_total_atendimento_segundos), \
             auto_encerrado = ?",
            [
                now.into(),
                now.into(),
                op.observacoes.clone().into(),
                total.into(),
                op.auto.into(),
            ],
        )
        .bind1(" WHERE id = ?", id);
        exec(&txn, &q).await?;
        let a = fetch(&txn, id, None).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(a)
    }

    async fn avaliar(
        &self,
        id: i64,
        nota: i32,
        comentario: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>> {
        let mut q = Sql::new("UPDATE atendimentos SET");
        q.bind(
            " avaliacao = ?, comentario_avaliacao = ?, atualizado_em = ?",
            [nota.into(), text_value(comentario), now.into()],
        )
        .bind1(" WHERE id = ?", id);
        if exec(&self.db, &q).await? == 0 {
            return Ok(None);
        }
        fetch(&self.db, id, None).await
    }

    async fn distribuir(&self, departamento: i64, now: DateTime<Utc>) -> Result<Vec<Atribuicao>> {
        super::distribuir::run(&self.db, departamento, now).await
    }

    async fn idle(&self, before: DateTime<Utc>) -> Result<Vec<Atendimento>> {
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.bind1(
            " WHERE a.status = 'em_atendimento' AND a.atualizado_em < ?",
            before,
        )
        .push(" ORDER BY a.atualizado_em, a.id");
        atendimentos(&self.db, &q).await
    }
}

//! `distribuir` (§4.7) in one transaction: the department's agents are locked first (so
//! concurrent distributions and accepts count loads one at a time), the choices come from the
//! domain's [`atendimento::distribution::plan`], and each queue row is taken with a
//! conditional update (never assigned twice).

use super::atendimentos::{NewAtendimento, insert_row};
use super::chats::lock_agents;
use super::sql::{Sql, col};
use super::{
    OPEN_SQL, SELECT_ATENDIMENTO, atendimentos, exec, ids, lock, prioridade_of, rows, text_value,
};
use crate::support::db_err;
use atendimento::distribution::{Candidato, Pendente, capacity, plan};
use atendimento::model::Status;
use atendimento::ports::Atribuicao;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait, Value};
use std::collections::HashMap;

struct Row {
    cliente: i64,
    chat_id: String,
    numero: String,
    mensagem_inicial: String,
    prioridade: atendimento::Prioridade,
}

pub(super) async fn run(
    db: &DatabaseConnection,
    departamento: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Atribuicao>> {
    let txn = db.begin().await.map_err(db_err)?;
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if !postgres {
        lock(&txn).await?;
    }
    let members = ids(
        &txn,
        Sql::new("SELECT agent_id FROM departamento_atendentes")
            .bind1(" WHERE departamento_id = ? ORDER BY agent_id", departamento),
    )
    .await?;
    if postgres {
        lock_agents(&txn, &members).await?;
    }
    let max: i64 = match rows(
        &txn,
        Sql::new("SELECT max_atendimentos_simultaneos, ativo FROM departamentos")
            .bind1(" WHERE id = ?", departamento),
    )
    .await?
    .first()
    {
        Some(r) => {
            let ativo: bool = col(r, "ativo").map_err(DomainError::internal)?;
            if !ativo {
                return Ok(Vec::new());
            }
            i64::from(col::<i32>(r, "max_atendimentos_simultaneos").map_err(DomainError::internal)?)
        }
        None => return Ok(Vec::new()),
    };
    let mut q = Sql::new(
        "SELECT g.id, (SELECT COUNT(*) FROM atendimentos x WHERE x.atendente_id = g.id \
         AND x.status IN ('aguardando', 'em_atendimento')) AS carga \
         FROM agents g JOIN departamento_atendentes da ON da.agent_id = g.id",
    );
    q.bind1(
        " WHERE da.departamento_id = ? AND g.is_active",
        departamento,
    );
    let agents: Vec<Candidato> = rows(&txn, &q)
        .await?
        .iter()
        .map(|r| {
            Ok(Candidato {
                agent: col(r, "id")?,
                load: col(r, "carga")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(DomainError::internal)?;
    let room = capacity(&agents, max);
    if room == 0 {
        return Ok(Vec::new());
    }
    let mut pq = Sql::new(
        "SELECT id, cliente_id, chat_id, numero_whatsapp, mensagem_inicial, prioridade, \
         entrou_na_fila_em FROM filas_atendimento",
    );
    pq.bind(
        " WHERE departamento_id = ? AND atribuido_em IS NULL \
         ORDER BY prioridade_rank DESC, entrou_na_fila_em, id LIMIT ?",
        [departamento.into(), room.into()],
    );
    let mut pending = Vec::new();
    let mut details: HashMap<i64, Row> = HashMap::new();
    for r in rows(&txn, &pq).await? {
        let parsed = (|| {
            let id: i64 = col(&r, "id")?;
            let prioridade = prioridade_of(&col::<String>(&r, "prioridade")?)?;
            pending.push(Pendente {
                fila_id: id,
                prioridade,
                entrou_na_fila_em: col(&r, "entrou_na_fila_em")?,
            });
            details.insert(
                id,
                Row {
                    cliente: col(&r, "cliente_id")?,
                    chat_id: col(&r, "chat_id")?,
                    numero: col(&r, "numero_whatsapp")?,
                    mensagem_inicial: col(&r, "mensagem_inicial")?,
                    prioridade,
                },
            );
            Ok::<_, sea_orm::DbErr>(())
        })();
        parsed.map_err(DomainError::internal)?;
    }
    let mut assigned: Vec<(i64, i64, String)> = Vec::new();
    for (fila_id, agent) in plan(&pending, &agents, max) {
        let Some(row) = details.get(&fila_id) else {
            continue;
        };
        let taken = exec(
            &txn,
            Sql::new("UPDATE filas_atendimento SET").bind(
                " atribuido_em = ? WHERE id = ? AND atribuido_em IS NULL",
                [now.into(), fila_id.into()],
            ),
        )
        .await?;
        if taken == 0 {
            continue;
        }
        // Reuse the chat's waiting atendimento without atendente; a chat that is already
        // being handled (another open atendimento) only has its stale row marked.
        let mut reuse = Sql::new("UPDATE atendimentos SET status = 'em_atendimento'");
        reuse
            .bind(
                ", atendente_id = ?, iniciado_em = ?, atualizado_em = ?",
                [agent.into(), now.into(), now.into()],
            )
            .bind1(
                " WHERE chat_id = ? AND status = 'aguardando' AND atendente_id IS NULL RETURNING id",
                text_value(&row.chat_id),
            );
        let id = match ids(&txn, &reuse).await?.into_iter().next() {
            Some(id) => {
                if let Some(a) = super::fetch(&txn, id, None).await? {
                    let espera = (now - a.criado_em).num_seconds().max(0);
                    let mut w = Sql::new("UPDATE atendimentos SET");
                    w.bind(
                        " tempo_espera_segundos = ? WHERE id = ?",
                        [espera.into(), id.into()],
                    );
                    exec(&txn, &w).await?;
                }
                id
            }
            None => {
                let open = ids(
                    &txn,
                    Sql::new("SELECT id FROM atendimentos")
                        .bind1(" WHERE chat_id = ?", text_value(&row.chat_id))
                        .push(&format!(" AND status IN {OPEN_SQL}")),
                )
                .await?;
                if !open.is_empty() {
                    continue;
                }
                insert_row(
                    &txn,
                    &NewAtendimento {
                        departamento,
                        cliente: row.cliente,
                        atendente: Some(agent),
                        chat_id: &row.chat_id,
                        numero: &row.numero,
                        status: Status::EmAtendimento,
                        prioridade: row.prioridade,
                        total_mensagens_cliente: 0,
                        total_mensagens_atendente: 0,
                        avaliacao: None,
                        comentario_avaliacao: "",
                        observacoes: "",
                        mensagem_inicial: &row.mensagem_inicial,
                        ultima: None,
                        iniciado_em: Some(now),
                        at: now,
                    },
                )
                .await?
            }
        };
        assigned.push((fila_id, id, row.mensagem_inicial.clone()));
    }
    let mut out = Vec::with_capacity(assigned.len());
    if !assigned.is_empty() {
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.push(" WHERE ").in_list(
            "a.id",
            assigned.iter().map(|(_, id, _)| Value::from(*id)).collect(),
        );
        let mut by_id: HashMap<i64, atendimento::Atendimento> = atendimentos(&txn, &q)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        for (fila_id, id, mensagem_inicial) in assigned {
            if let Some(a) = by_id.remove(&id) {
                out.push(Atribuicao {
                    fila_id,
                    mensagem_inicial,
                    atendimento: a,
                });
            }
        }
    }
    txn.commit().await.map_err(db_err)?;
    Ok(out)
}

//! `distribuir` (§4.7) in one transaction: the department's agents are locked first (so
//! concurrent distributions and accepts count loads one at a time), the choices come from the
//! domain's [`atendimento::distribution::plan`], and each queue row is taken with a
//! conditional update (never assigned twice).

use super::atendimentos::{NewAtendimento, insert_row};
use super::chats::lock_agents;
use super::sql::{Sql, col};
use super::{
    OPEN_SQL, SELECT_ATENDIMENTO, atendimentos, ids, lock, prioridade_of, rows, text_value,
};
use crate::support::db_err;
use atendimento::distribution::{Candidato, Pendente, capacity, plan};
use atendimento::model::Status;
use atendimento::ports::Atribuicao;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait, Value};
use std::collections::HashMap;

/// Queue rows assigned per statement: a few statements per chunk instead of four per row
/// (10,000 rows in well under a second), within every driver's bound-parameter limit.
const CHUNK: usize = 400;

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
    let choices = plan(&pending, &agents, max);
    let mut assigned: Vec<(i64, i64, String)> = Vec::with_capacity(choices.len());
    for chunk in choices.chunks(CHUNK) {
        assign(&txn, departamento, chunk, &details, now, &mut assigned).await?;
    }
    let mut out = Vec::with_capacity(assigned.len());
    for chunk in assigned.chunks(CHUNK) {
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.push(" WHERE ").in_list(
            "a.id",
            chunk.iter().map(|(_, id, _)| Value::from(*id)).collect(),
        );
        let read = if postgres {
            atendimentos(&txn, &q).await?
        } else {
            super::json_page::list(&txn, &q).await?
        };
        let mut by_id: HashMap<i64, atendimento::Atendimento> =
            read.into_iter().map(|a| (a.id, a)).collect();
        for (fila_id, id, mensagem_inicial) in chunk {
            if let Some(a) = by_id.remove(id) {
                out.push(Atribuicao {
                    fila_id: *fila_id,
                    mensagem_inicial: mensagem_inicial.clone(),
                    atendimento: a,
                });
            }
        }
    }
    txn.commit().await.map_err(db_err)?;
    Ok(out)
}

/// The open atendimento of a chat, as the chunk's one read finds it.
struct Open {
    id: i64,
    aguardando_sem_atendente: bool,
    criado_em: DateTime<Utc>,
}

/// Assigns one chunk of the plan, `(fila_id, agent)` pairs, set-wise: the queue rows still
/// unassigned are taken in one conditional `UPDATE`; the chats' open atendimentos are read in
/// one statement; the waiting ones without atendente are handed to their agents in one
/// conditional `UPDATE` (a row taken meanwhile by an accept is left alone); a chat with no
/// open atendimento gets a new one. A chat already being handled, or given its atendimento
/// by an earlier row of the run, only has its stale queue row marked. Pushes `(fila_id, atendimento id, mensagem_inicial)` for each assignment.
async fn assign(
    txn: &sea_orm::DatabaseTransaction,
    departamento: i64,
    chunk: &[(i64, i64)],
    details: &HashMap<i64, Row>,
    now: DateTime<Utc>,
    assigned: &mut Vec<(i64, i64, String)>,
) -> Result<()> {
    let mut take = Sql::new("UPDATE filas_atendimento SET");
    take.bind1(" atribuido_em = ? WHERE atribuido_em IS NULL AND ", now)
        .in_list(
            "id",
            chunk.iter().map(|(fila, _)| Value::from(*fila)).collect(),
        )
        .push(" RETURNING id");
    let taken: std::collections::HashSet<i64> = ids(txn, &take).await?.into_iter().collect();
    // A chat's first row in the chunk is the one assigned; any other row of it is stale
    // (marked taken above, assigned nothing), as a later chunk's row of it is.
    let mut chats_seen = std::collections::HashSet::new();
    let mine: Vec<(i64, i64, &Row)> = chunk
        .iter()
        .filter(|(fila, _)| taken.contains(fila))
        .filter_map(|(fila, agent)| details.get(fila).map(|r| (*fila, *agent, r)))
        .filter(|(_, _, r)| chats_seen.insert(r.chat_id.as_str()))
        .collect();
    if mine.is_empty() {
        return Ok(());
    }
    let mut find = Sql::new(&format!(
        "SELECT id, chat_id, status, atendente_id, criado_em {} WHERE ",
        super::from_open_by_chat(txn.get_database_backend())
    ));
    find.in_list(
        "chat_id",
        mine.iter()
            .map(|(_, _, r)| text_value(&r.chat_id))
            .collect(),
    )
    .push(&format!(" AND status IN {OPEN_SQL}"));
    let mut open: HashMap<String, Open> = HashMap::new();
    for r in rows(txn, &find).await? {
        let parsed = (|| {
            let status: String = col(&r, "status")?;
            let atendente: Option<i64> = col(&r, "atendente_id")?;
            Ok::<_, sea_orm::DbErr>((
                col::<String>(&r, "chat_id")?,
                Open {
                    id: col(&r, "id")?,
                    aguardando_sem_atendente: status == Status::Aguardando.as_str()
                        && atendente.is_none(),
                    criado_em: col(&r, "criado_em")?,
                },
            ))
        })();
        let (chat, o) = parsed.map_err(DomainError::internal)?;
        open.insert(chat, o);
    }
    // The waiting atendimentos, handed over in one statement.
    let reuse: Vec<(i64, i64, &Open)> = mine
        .iter()
        .filter_map(|(fila, agent, r)| {
            open.get(&r.chat_id)
                .filter(|o| o.aguardando_sem_atendente)
                .map(|o| (*fila, *agent, o))
        })
        .collect();
    let mut got = std::collections::HashSet::new();
    if !reuse.is_empty() {
        let mut up =
            Sql::new("UPDATE atendimentos SET status = 'em_atendimento', atendente_id = CASE id");
        for (_, agent, o) in &reuse {
            up.bind(" WHEN ? THEN ?", [o.id.into(), (*agent).into()]);
        }
        up.push(" END, tempo_espera_segundos = CASE id");
        for (_, _, o) in &reuse {
            let espera = (now - o.criado_em).num_seconds().max(0);
            up.bind(" WHEN ? THEN ?", [o.id.into(), espera.into()]);
        }
        up.bind(
            " END, iniciado_em = ?, atualizado_em = ? WHERE status = 'aguardando' \
             AND atendente_id IS NULL AND ",
            [now.into(), now.into()],
        )
        .in_list(
            "id",
            reuse.iter().map(|(_, _, o)| Value::from(o.id)).collect(),
        )
        .push(" RETURNING id");
        got = ids(txn, &up).await?.into_iter().collect();
    }
    for (fila, agent, r) in mine {
        let id = match open.get(&r.chat_id) {
            Some(o) if got.contains(&o.id) => o.id,
            // Being handled already (or taken by an accept meanwhile): the row was stale.
            Some(_) => continue,
            None => {
                insert_row(
                    txn,
                    &NewAtendimento {
                        departamento,
                        cliente: r.cliente,
                        atendente: Some(agent),
                        chat_id: &r.chat_id,
                        numero: &r.numero,
                        status: Status::EmAtendimento,
                        prioridade: r.prioridade,
                        total_mensagens_cliente: 0,
                        total_mensagens_atendente: 0,
                        avaliacao: None,
                        comentario_avaliacao: "",
                        observacoes: "",
                        mensagem_inicial: &r.mensagem_inicial,
                        ultima: None,
                        iniciado_em: Some(now),
                        at: now,
                    },
                )
                .await?
            }
        };
        assigned.push((fila, id, r.mensagem_inicial.clone()));
    }
    Ok(())
}

//! `distribuir` (§4.7) in one transaction: the department's agents are locked first (so
//! concurrent distributions and accepts count loads one at a time), the choices come from the
//! domain's [`atendimento::distribution::plan`], and each queue row is taken with a
//! conditional update (never assigned twice). The pending rows are read once with their
//! chats' open atendimentos; what each `chat_assigned` tells comes from that read.

use super::atendimentos::{NewAtendimento, insert_row};
use super::chats::lock_agents;
use super::sql::{Sql, col};
use super::{OPEN_SQL, ids, lock, prioridade_of, rows};
use crate::support::db_err;
use atendimento::distribution::{Candidato, Pendente, capacity, plan};
use atendimento::model::Status;
use atendimento::ports::Atribuicao;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait, Value};
use std::collections::{HashMap, HashSet};

/// Queue rows assigned per statement: a few statements per chunk instead of four per row
/// (10,000 rows in well under a second), within every driver's bound-parameter limit.
const CHUNK: usize = 400;

/// A pending queue row with the open atendimento of its chat as the pending read found it.
struct Row {
    fila_id: i64,
    cliente: i64,
    chat_id: String,
    numero: String,
    mensagem_inicial: String,
    prioridade: atendimento::Prioridade,
    /// The queue row's cliente's name (for an atendimento the run opens).
    cliente_nome: String,
    open: Option<Open>,
}

/// The open atendimento of a queue row's chat.
struct Open {
    id: i64,
    aguardando_sem_atendente: bool,
    criado_em: DateTime<Utc>,
    cliente_nome: String,
    departamento_nome: String,
    prioridade: atendimento::Prioridade,
}

/// The pending rows of `departamento`, best first, at most `room`, each with the open
/// atendimento of its chat (one statement: the assignments need no read per chunk).
fn pending_sql(backend: DbBackend, departamento: i64, room: i64) -> Sql {
    let by_chat = if backend == DbBackend::Sqlite {
        format!(" INDEXED BY {}", super::OPEN_CHAT_INDEX)
    } else {
        String::new()
    };
    let mut q = Sql::new(&format!(
        "SELECT f.id, f.cliente_id, f.chat_id, f.numero_whatsapp, f.mensagem_inicial, \
         f.prioridade, f.entrou_na_fila_em, fc.razao_social AS f_cliente, a.id AS a_id, \
         a.status AS a_status, a.atendente_id AS a_atendente, a.criado_em AS a_criado, \
         a.prioridade AS a_prioridade, ac.razao_social AS a_cliente, ad.nome AS a_departamento \
         FROM filas_atendimento f \
         LEFT JOIN clientes fc ON fc.id = f.cliente_id \
         LEFT JOIN atendimentos a{by_chat} ON a.chat_id = f.chat_id AND a.status IN {OPEN_SQL} \
         LEFT JOIN clientes ac ON ac.id = a.cliente_id \
         LEFT JOIN departamentos ad ON ad.id = a.departamento_id"
    ));
    q.bind(
        " WHERE f.departamento_id = ? AND f.atribuido_em IS NULL \
         ORDER BY f.prioridade_rank DESC, f.entrou_na_fila_em, f.id LIMIT ?",
        [departamento.into(), room.into()],
    );
    q
}

/// The columns of [`pending_sql`] in the order [`Raw`] takes them (SQLite reads the rows as
/// one JSON text: handing 10,000 rows of 15 columns from the driver's thread one value at a
/// time costs several times the query itself).
const PENDING_COLUMNS: &str = "s.id, s.cliente_id, s.chat_id, s.numero_whatsapp, \
     s.mensagem_inicial, s.prioridade, s.entrou_na_fila_em, s.f_cliente, s.a_id, s.a_status, \
     s.a_atendente, s.a_criado, s.a_prioridade, s.a_cliente, s.a_departamento";

/// One row of [`pending_sql`], in the order of [`PENDING_COLUMNS`]; `T` is how its times come
/// (text in SQLite's JSON, typed on PostgreSQL).
#[derive(serde::Deserialize)]
struct Raw<T> {
    id: i64,
    cliente_id: i64,
    chat_id: String,
    numero_whatsapp: String,
    mensagem_inicial: String,
    prioridade: String,
    entrou_na_fila_em: T,
    f_cliente: Option<String>,
    a_id: Option<i64>,
    a_status: Option<String>,
    a_atendente: Option<i64>,
    a_criado: Option<T>,
    a_prioridade: Option<String>,
    a_cliente: Option<String>,
    a_departamento: Option<String>,
}

/// A time as [`Raw`] holds it.
trait RawTime {
    fn time(&self) -> Option<DateTime<Utc>>;
}

impl RawTime for String {
    fn time(&self) -> Option<DateTime<Utc>> {
        super::json_page::parse_time(self)
    }
}

impl RawTime for DateTime<Utc> {
    fn time(&self) -> Option<DateTime<Utc>> {
        Some(*self)
    }
}

impl<T: RawTime> Raw<T> {
    fn split(self) -> std::result::Result<(Pendente, Row), sea_orm::DbErr> {
        let time = |t: Option<&T>, what: &str| {
            t.and_then(RawTime::time)
                .ok_or_else(|| sea_orm::DbErr::Custom(format!("pending queue row: bad {what}")))
        };
        let prioridade = prioridade_of(&self.prioridade)?;
        let open = match self.a_id {
            Some(id) => Some(Open {
                id,
                aguardando_sem_atendente: self.a_status.as_deref()
                    == Some(Status::Aguardando.as_str())
                    && self.a_atendente.is_none(),
                criado_em: time(self.a_criado.as_ref(), "a_criado")?,
                cliente_nome: self.a_cliente.unwrap_or_default(),
                departamento_nome: self.a_departamento.unwrap_or_default(),
                prioridade: prioridade_of(self.a_prioridade.as_deref().unwrap_or_default())?,
            }),
            None => None,
        };
        Ok((
            Pendente {
                fila_id: self.id,
                prioridade,
                entrou_na_fila_em: time(Some(&self.entrou_na_fila_em), "entrou_na_fila_em")?,
            },
            Row {
                fila_id: self.id,
                cliente: self.cliente_id,
                chat_id: self.chat_id,
                numero: self.numero_whatsapp,
                mensagem_inicial: self.mensagem_inicial,
                prioridade,
                cliente_nome: self.f_cliente.unwrap_or_default(),
                open,
            },
        ))
    }
}

/// The pending rows: one JSON text on SQLite, typed rows on PostgreSQL.
async fn read_pending(txn: &sea_orm::DatabaseTransaction, q: &Sql) -> Result<Vec<(Pendente, Row)>> {
    let read = if txn.get_database_backend() == DbBackend::Postgres {
        rows(txn, q)
            .await?
            .iter()
            .map(|r| raw_of(r)?.split())
            .collect::<std::result::Result<_, _>>()
    } else {
        let mut outer = Sql::new(&format!(
            "SELECT json_group_array(json_array({PENDING_COLUMNS})) FROM ("
        ));
        outer.append(q).push(") AS s");
        let Some(r) = rows(txn, &outer).await?.into_iter().next() else {
            return Ok(Vec::new());
        };
        let json: String = r.try_get_by_index(0).map_err(DomainError::internal)?;
        let raw: Vec<Raw<String>> = serde_json::from_str(&json).map_err(DomainError::internal)?;
        raw.into_iter().map(Raw::split).collect()
    };
    read.map_err(DomainError::internal)
}

fn raw_of(r: &sea_orm::QueryResult) -> std::result::Result<Raw<DateTime<Utc>>, sea_orm::DbErr> {
    Ok(Raw {
        id: col(r, "id")?,
        cliente_id: col(r, "cliente_id")?,
        chat_id: col(r, "chat_id")?,
        numero_whatsapp: col(r, "numero_whatsapp")?,
        mensagem_inicial: col(r, "mensagem_inicial")?,
        prioridade: col(r, "prioridade")?,
        entrou_na_fila_em: col(r, "entrou_na_fila_em")?,
        f_cliente: col(r, "f_cliente")?,
        a_id: col(r, "a_id")?,
        a_status: col(r, "a_status")?,
        a_atendente: col(r, "a_atendente")?,
        a_criado: col(r, "a_criado")?,
        a_prioridade: col(r, "a_prioridade")?,
        a_cliente: col(r, "a_cliente")?,
        a_departamento: col(r, "a_departamento")?,
    })
}

pub(super) async fn run(
    db: &DatabaseConnection,
    departamento: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Atribuicao>> {
    let txn = db.begin().await.map_err(db_err)?;
    let backend = txn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
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
    let (max, nome): (i64, String) = match rows(
        &txn,
        Sql::new("SELECT max_atendimentos_simultaneos, ativo, nome FROM departamentos")
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
            (
                i64::from(
                    col::<i32>(r, "max_atendimentos_simultaneos").map_err(DomainError::internal)?,
                ),
                col(r, "nome").map_err(DomainError::internal)?,
            )
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
    let mut pending = Vec::new();
    let mut details: HashMap<i64, Row> = HashMap::new();
    let read = read_pending(&txn, &pending_sql(backend, departamento, room)).await?;
    for (p, row) in read {
        pending.push(p);
        details.insert(row.fila_id, row);
    }
    let choices = plan(&pending, &agents, max);
    let mut run = Run {
        departamento,
        departamento_nome: nome,
        now,
        chats_seen: HashSet::new(),
        out: Vec::with_capacity(choices.len()),
    };
    for chunk in choices.chunks(CHUNK) {
        run.assign(&txn, chunk, &details).await?;
    }
    txn.commit().await.map_err(db_err)?;
    Ok(run.out)
}

/// Runs the conditional `UPDATE` `q` and answers the ids it changed. On PostgreSQL they come
/// back through `RETURNING returning` (a concurrent accept may have taken a row since the
/// pending read). On SQLite the transaction has held the write lock since before that read,
/// so every row it found still meets the condition: the ids are `all`, and the statement runs
/// without handing back thousands of rows; a count that differs is a broken invariant.
async fn conditional(
    txn: &sea_orm::DatabaseTransaction,
    mut q: Sql,
    returning: &str,
    all: impl FnOnce() -> HashSet<i64>,
) -> Result<HashSet<i64>> {
    if txn.get_database_backend() == DbBackend::Postgres {
        q.push(&format!(" RETURNING {returning}"));
        return Ok(ids(txn, &q).await?.into_iter().collect());
    }
    let all = all();
    let changed = super::exec(txn, &q).await?;
    if changed != all.len() as u64 {
        return Err(DomainError::internal(format!(
            "distribuir: {changed} rows changed of {} read under the write lock",
            all.len()
        )));
    }
    Ok(all)
}

/// One distribution's assignments so far.
struct Run {
    departamento: i64,
    departamento_nome: String,
    now: DateTime<Utc>,
    /// The chats given their atendimento by this run: any later row of one is stale.
    chats_seen: HashSet<String>,
    out: Vec<Atribuicao>,
}

impl Run {
    /// Assigns one chunk of the plan, `(fila_id, agent)` pairs, set-wise: the queue rows still
    /// unassigned are taken in one conditional `UPDATE`; the waiting atendimentos without
    /// atendente are handed to their agents in one conditional `UPDATE … FROM (VALUES …)` (a
    /// row taken meanwhile by an accept is left alone); a chat with no open atendimento gets a
    /// new one. A chat already being handled, or given its atendimento by an earlier row of
    /// the run, only has its stale queue row marked.
    async fn assign(
        &mut self,
        txn: &sea_orm::DatabaseTransaction,
        chunk: &[(i64, i64)],
        details: &HashMap<i64, Row>,
    ) -> Result<()> {
        let mut take = Sql::new("UPDATE filas_atendimento SET");
        take.bind1(
            " atribuido_em = ? WHERE atribuido_em IS NULL AND ",
            self.now,
        )
        .in_list(
            "id",
            chunk.iter().map(|(fila, _)| Value::from(*fila)).collect(),
        );
        let taken = conditional(txn, take, "id", || chunk.iter().map(|c| c.0).collect()).await?;
        // A chat's first row is the one assigned; any other row of it is stale (marked taken
        // above, assigned nothing).
        let mine: Vec<(i64, &Row)> = chunk
            .iter()
            .filter(|(fila, _)| taken.contains(fila))
            .filter_map(|(fila, agent)| details.get(fila).map(|r| (*agent, r)))
            .filter(|(_, r)| self.chats_seen.insert(r.chat_id.clone()))
            .collect();
        if mine.is_empty() {
            return Ok(());
        }
        // The waiting atendimentos, handed over in one statement.
        let reuse: Vec<(i64, &Open)> = mine
            .iter()
            .filter_map(|(agent, r)| {
                r.open
                    .as_ref()
                    .filter(|o| o.aguardando_sem_atendente)
                    .map(|o| (*agent, o))
            })
            .collect();
        let mut got = HashSet::new();
        if !reuse.is_empty() {
            let mut up = Sql::new("WITH v (id, agent, espera) AS (VALUES ");
            for (i, (agent, o)) in reuse.iter().enumerate() {
                let espera = (self.now - o.criado_em).num_seconds().max(0);
                up.bind(
                    if i == 0 { "(?, ?, ?)" } else { ", (?, ?, ?)" },
                    [o.id.into(), (*agent).into(), espera.into()],
                );
            }
            up.bind(
                ") UPDATE atendimentos SET status = 'em_atendimento', atendente_id = v.agent, \
                 tempo_espera_segundos = v.espera, iniciado_em = ?, atualizado_em = ? FROM v \
                 WHERE atendimentos.id = v.id AND atendimentos.status = 'aguardando' \
                 AND atendimentos.atendente_id IS NULL",
                [self.now.into(), self.now.into()],
            );
            got = conditional(txn, up, "atendimentos.id", || {
                reuse.iter().map(|(_, o)| o.id).collect()
            })
            .await?;
        }
        for (agent, r) in mine {
            let assigned = match &r.open {
                Some(o) if got.contains(&o.id) => Atribuicao {
                    fila_id: r.fila_id,
                    mensagem_inicial: r.mensagem_inicial.clone(),
                    atendimento_id: o.id,
                    atendente_id: agent,
                    chat_id: r.chat_id.clone(),
                    cliente_nome: o.cliente_nome.clone(),
                    departamento_nome: o.departamento_nome.clone(),
                    prioridade: o.prioridade,
                },
                // Being handled already (or taken by an accept meanwhile): the row was stale.
                Some(_) => continue,
                None => {
                    let id = insert_row(
                        txn,
                        &NewAtendimento {
                            departamento: self.departamento,
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
                            iniciado_em: Some(self.now),
                            at: self.now,
                        },
                    )
                    .await?;
                    Atribuicao {
                        fila_id: r.fila_id,
                        mensagem_inicial: r.mensagem_inicial.clone(),
                        atendimento_id: id,
                        atendente_id: agent,
                        chat_id: r.chat_id.clone(),
                        cliente_nome: r.cliente_nome.clone(),
                        departamento_nome: self.departamento_nome.clone(),
                        prioridade: r.prioridade,
                    }
                }
            };
            self.out.push(assigned);
        }
        Ok(())
    }
}

//! The chat intake (§6.1), serialized per chat: on SQLite through the group-commit writer
//! (many messages per transaction, one after the other); on PostgreSQL one transaction per
//! message holding a transaction-level advisory lock on the chat id (so concurrent
//! first messages of one chat resolve one cliente and open one atendimento; the partial
//! unique index is the last line of defence).

use super::atendimentos::{NewAtendimento, insert_rows};
use super::departamentos::{insert_row as insert_departamento, members};
use super::filas::{NewFila, insert_rows as insert_filas};
use super::sql::Sql;
use super::{OPEN_SQL, fetch, ids, lock, text_value};
use crate::support::db_err;
use crate::writer::BatchInsert;
use async_trait::async_trait;
use atendimento::commands::DepartamentoChanges;
use atendimento::model::{Atendimento, Prioridade, Status};
use atendimento::ports::{InboundChat, IntakeOutcome, IntakeRepository, OutboundChat};
use clientes::ClienteData;
use kernel::{DomainError, Result};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait,
};
use std::collections::HashMap;

/// The queue row's `mensagem_inicial`: the first 500 characters.
const MENSAGEM_INICIAL_MAX: usize = 500;
/// Advisory-lock namespace of the intake (first key of the two-key form).
const LOCK_NAMESPACE: i32 = 8_001;

pub struct SeaOrmIntakeRepository {
    db: DatabaseConnection,
    /// Its group-commit writer takes the inbound intakes on SQLite.
    database: crate::Database,
}

impl SeaOrmIntakeRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
            database: database.clone(),
        }
    }
}

/// Serializes the transactions about one chat.
async fn lock_chat(txn: &DatabaseTransaction, chat_id: &str) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut q = Sql::new("SELECT pg_advisory_xact_lock(");
        q.bind(
            "?, hashtext(?))",
            [LOCK_NAMESPACE.into(), text_value(chat_id)],
        );
        txn.query_all_raw(q.build(DbBackend::Postgres))
            .await
            .map_err(db_err)?;
        Ok(())
    } else {
        lock(txn).await
    }
}

/// The ways contatos and clientes may hold the number: as sent (with or without `+`) and
/// every hand-saved form of its canonical number ([`kernel::CanonicalNumber::spellings`]).
fn spellings(numero: &str) -> Vec<String> {
    let bare = numero.trim_start_matches('+');
    let mut all = vec![bare.to_string(), format!("+{bare}")];
    if let Ok(c) = kernel::CanonicalNumber::parse(numero) {
        for f in c.spellings() {
            if !all.contains(&f) {
                all.push(f);
            }
        }
    }
    all
}

fn values(forms: &[String]) -> Vec<sea_orm::Value> {
    forms.iter().map(|v| text_value(v)).collect()
}

/// The cliente made for an unknown number: its contact name (else "Cliente <number>") and
/// the number as its main phone.
fn new_cliente(m: &InboundChat) -> ClienteData {
    let mut data = ClienteData::defaults(String::new());
    let name = m.contact_name.trim();
    data.razao_social = if name.is_empty() {
        format!("Cliente {}", m.numero)
    } else {
        name.chars().take(255).collect()
    };
    data.telefone_principal = Some(m.numero.chars().take(20).collect());
    data.status = "ativo".into();
    data
}

/// The clientes of the opening messages `ms` (distinct chats): each number's contato's (active
/// ones first, then the oldest), else a cliente whose `telefone_principal` is it (the oldest),
/// else a new one; `true` when it was created. A few statements whatever the count: one read
/// of every cliente known by any of their numbers' spellings, then one insert of the new ones.
/// Two chats of one number share the cliente made for the first, as one by one they would.
async fn resolve_clientes(
    txn: &DatabaseTransaction,
    ms: &[&InboundChat],
) -> Result<Vec<(i64, bool)>> {
    let forms: Vec<Vec<String>> = ms.iter().map(|m| spellings(&m.numero)).collect();
    let mut all: Vec<String> = forms.iter().flatten().cloned().collect();
    all.sort_unstable();
    all.dedup();
    let mut q = Sql::new(
        "SELECT form, pref, inactive, id, cliente_id FROM (SELECT whatsapp AS form, 0 AS pref, \
         CASE WHEN ativo THEN 0 ELSE 1 END AS inactive, id, cliente_id FROM contatos WHERE ",
    );
    q.in_list("whatsapp", values(&all))
        .push(" UNION ALL SELECT telefone_principal, 1, 0, id, id FROM clientes WHERE ")
        .in_list("telefone_principal", values(&all))
        .push(") AS known");
    // The best match of each spelling: contatos first (active first), then the oldest.
    let mut best: HashMap<String, (i32, i32, i64, i64)> = HashMap::new();
    for r in super::rows(txn, &q).await? {
        let read = (|| {
            Ok::<_, DbErr>((
                super::sql::col::<String>(&r, "form")?,
                (
                    super::sql::col::<i32>(&r, "pref")?,
                    super::sql::col::<i32>(&r, "inactive")?,
                    super::sql::col::<i64>(&r, "id")?,
                    super::sql::col::<i64>(&r, "cliente_id")?,
                ),
            ))
        })();
        let (form, key) = read.map_err(DomainError::internal)?;
        let e = best.entry(form).or_insert(key);
        if key < *e {
            *e = key;
        }
    }
    let mut out: Vec<Option<(i64, bool)>> = Vec::with_capacity(ms.len());
    // The batch's new clientes: their main phone, and the chats they are for.
    let mut made: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, (m, forms)) in ms.iter().zip(&forms).enumerate() {
        if let Some(b) = forms.iter().filter_map(|f| best.get(f)).min() {
            out.push(Some((b.3, false)));
            continue;
        }
        out.push(None);
        match made
            .iter_mut()
            .find(|(tel, _)| forms.iter().any(|f| f == tel))
        {
            Some((_, chats)) => chats.push(i),
            None => made.push((m.numero.chars().take(20).collect(), vec![i])),
        }
    }
    if !made.is_empty() {
        let data = made
            .iter()
            .map(|(_, chats)| new_cliente(ms[chats[0]]))
            .collect();
        let inserted = crate::cliente_repo::insert_placeholders(txn, data)
            .await
            .map_err(db_err)?;
        for ((_, chats), c) in made.iter().zip(inserted) {
            let id = c?.id;
            for (k, &i) in chats.iter().enumerate() {
                // The first chat made it; the others found it.
                out[i] = Some((id, k == 0));
            }
        }
    }
    out.into_iter()
        .map(|o| o.ok_or_else(|| DomainError::internal("intake: cliente not resolved")))
        .collect()
}

/// What the intakes of one transaction share: while it holds the write lock (SQLite) no one
/// else changes the departments, so the default one and its members are read once.
#[derive(Default)]
struct Shared {
    departamento: Option<i64>,
    membros: HashMap<i64, Vec<i64>>,
}

impl Shared {
    async fn departamento(
        &mut self,
        txn: &DatabaseTransaction,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        if let Some(d) = self.departamento {
            return Ok(d);
        }
        let d = default_departamento(txn, at).await?;
        self.departamento = Some(d);
        Ok(d)
    }

    async fn membros(&mut self, txn: &DatabaseTransaction, departamento: i64) -> Result<Vec<i64>> {
        if let Some(m) = self.membros.get(&departamento) {
            return Ok(m.clone());
        }
        let m = members(txn, &[departamento])
            .await?
            .remove(&departamento)
            .unwrap_or_default();
        self.membros.insert(departamento, m.clone());
        Ok(m)
    }
}

/// The first active department by name, else "Suporte" (created if it does not exist).
async fn default_departamento(
    txn: &DatabaseTransaction,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<i64> {
    let q = Sql::new("SELECT id FROM departamentos WHERE ativo ORDER BY nome, id LIMIT 1");
    if let Some(id) = ids(txn, &q).await?.into_iter().next() {
        return Ok(id);
    }
    let q = Sql::new("SELECT id FROM departamentos WHERE nome = 'Suporte'");
    if let Some(id) = ids(txn, &q).await?.into_iter().next() {
        return Ok(id);
    }
    insert_departamento(
        txn,
        &DepartamentoChanges {
            nome: Some("Suporte".into()),
            descricao: Some("Departamento padrão".into()),
            cor: Some("#3B82F6".into()),
            ativo: Some(true),
            ..Default::default()
        },
        at,
    )
    .await
}

async fn fetched(txn: &DatabaseTransaction, id: i64) -> Result<Atendimento> {
    fetch(txn, id, None)
        .await?
        .ok_or_else(|| DomainError::internal("atendimento vanished in its transaction"))
}

/// The `SET` part every counted message shares: the chat's last message and update time.
fn set_last_message<'a>(
    q: &'a mut Sql,
    texto: &str,
    tipo: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> &'a mut Sql {
    q.bind(
        ", ultima_mensagem_texto = ?, ultima_mensagem_em = ?, ultima_mensagem_tipo = ?, \
         atualizado_em = ?",
        [text_value(texto), at.into(), text_value(tipo), at.into()],
    )
}

/// Counts `m` on the open atendimento of its chat: `Some(id)` when there is one.
async fn append(txn: &DatabaseTransaction, m: &InboundChat) -> Result<Option<i64>> {
    let mut up = count_messages(1, m);
    up.bind1(" WHERE chat_id = ?", text_value(&m.chat_id))
        .push(&format!(" AND status IN {OPEN_SQL} RETURNING id"));
    Ok(ids(txn, &up).await?.into_iter().next())
}

/// `UPDATE atendimentos SET …` counting `n` inbound messages of which `last` is the latest
/// (the caller adds the `WHERE`).
fn count_messages(n: i64, last: &InboundChat) -> Sql {
    let mut up = Sql::new("UPDATE atendimentos SET ");
    up.bind(
        "total_mensagens_cliente = total_mensagens_cliente + ?, \
         total_mensagens = total_mensagens + ?, mensagens_nao_lidas = mensagens_nao_lidas + ?, \
         ultima_mensagem_direcao = 'inbound'",
        [n.into(), n.into(), n.into()],
    );
    set_last_message(&mut up, &last.texto, &last.tipo, last.at);
    up
}

/// Counts on each atendimento `(id, n, last)` its `n` inbound messages, of which `last` is
/// the latest, in one `UPDATE … FROM (VALUES …)` (the ids are distinct).
async fn count_on(txn: &DatabaseTransaction, counted: &[(i64, i64, &InboundChat)]) -> Result<()> {
    if counted.is_empty() {
        return Ok(());
    }
    let mut up = Sql::new("WITH v (id, n, texto, tipo, em) AS (VALUES ");
    for (i, (id, n, last)) in counted.iter().enumerate() {
        up.bind(
            if i == 0 {
                "(?, ?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?, ?)"
            },
            [
                (*id).into(),
                (*n).into(),
                text_value(&last.texto),
                text_value(&last.tipo),
                last.at.into(),
            ],
        );
    }
    up.push(
        ") UPDATE atendimentos SET total_mensagens_cliente = total_mensagens_cliente + v.n, \
         total_mensagens = total_mensagens + v.n, mensagens_nao_lidas = mensagens_nao_lidas + v.n, \
         ultima_mensagem_direcao = 'inbound', ultima_mensagem_texto = v.texto, \
         ultima_mensagem_em = v.em, ultima_mensagem_tipo = v.tipo, atualizado_em = v.em \
         FROM v WHERE atendimentos.id = v.id",
    );
    super::exec(txn, &up).await?;
    Ok(())
}

/// A chat first seen under the gateway's id of the customer (`…@lid`, a BSUID: the number was
/// hidden) joins its number once a message carries both: its open atendimento, queue row and
/// messages move to the number's chat id. `true` when there was one to move.
async fn rekey_peer(txn: &DatabaseTransaction, m: &InboundChat) -> Result<bool> {
    let Some(peer) = m.peer_id.as_deref().filter(|p| *p != m.chat_id) else {
        return Ok(false);
    };
    let chat_id: String = m.chat_id.chars().take(100).collect();
    let numero: String = m.numero.chars().take(20).collect();
    let mut q = Sql::new("UPDATE atendimentos SET ");
    q.bind(
        "chat_id = ?, numero_whatsapp = ?",
        [text_value(&chat_id), text_value(&numero)],
    )
    .bind1(" WHERE chat_id = ?", text_value(peer))
    .push(&format!(" AND status IN {OPEN_SQL} RETURNING id"));
    if ids(txn, &q).await?.is_empty() {
        return Ok(false);
    }
    let mut q = Sql::new("UPDATE filas_atendimento SET ");
    q.bind(
        "chat_id = ?, numero_whatsapp = ?",
        [text_value(&chat_id), text_value(&numero)],
    )
    .bind1(" WHERE chat_id = ?", text_value(peer));
    super::exec(txn, &q).await?;
    let mut q = Sql::new("UPDATE whatsapp_messages SET ");
    q.bind1("chat_id = ?", text_value(&m.chat_id))
        .bind1(" WHERE chat_id = ?", text_value(peer));
    super::exec(txn, &q).await?;
    Ok(true)
}

/// The whole intake of `m` inside `txn`, which holds the chat's lock (or the write lock).
async fn inbound_in(
    txn: &DatabaseTransaction,
    m: &InboundChat,
    shared: &mut Shared,
) -> Result<IntakeOutcome> {
    if let Some(id) = append(txn, m).await? {
        return Ok(IntakeOutcome::Appended(fetched(txn, id).await?));
    }
    not_open(txn, m, shared).await
}

/// The intake of `m` when its chat id has no open atendimento: the one of its lid or BSUID
/// (moved to the number), else a new one.
async fn not_open(
    txn: &DatabaseTransaction,
    m: &InboundChat,
    shared: &mut Shared,
) -> Result<IntakeOutcome> {
    if rekey_peer(txn, m).await?
        && let Some(id) = append(txn, m).await?
    {
        return Ok(IntakeOutcome::Appended(fetched(txn, id).await?));
    }
    let created = create_chat(txn, m, shared).await?;
    let atendimento = fetched(txn, created.id).await?;
    Ok(created.outcome(atendimento))
}

/// A chat opened by [`create_chat`], before its atendimento is read.
struct Created {
    id: i64,
    mensagem_inicial: String,
    membros: Vec<i64>,
    cliente_criado: bool,
}

impl Created {
    fn outcome(self, atendimento: Atendimento) -> IntakeOutcome {
        IntakeOutcome::Opened {
            atendimento,
            mensagem_inicial: self.mensagem_inicial,
            membros: self.membros,
            cliente_criado: self.cliente_criado,
        }
    }
}

/// Opens a waiting chat for `m`: its cliente (found or created), the atendimento in the
/// default department and its queue row ([`create_chats`] of one).
async fn create_chat(
    txn: &DatabaseTransaction,
    m: &InboundChat,
    shared: &mut Shared,
) -> Result<Created> {
    create_chats(txn, &[m], shared)
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("intake: chat not opened"))
}

/// Opens waiting chats for the opening messages `ms` (distinct chats) in one statement per
/// table: their clientes ([`resolve_clientes`]), atendimentos in the default department and
/// queue rows.
async fn create_chats(
    txn: &DatabaseTransaction,
    ms: &[&InboundChat],
    shared: &mut Shared,
) -> Result<Vec<Created>> {
    let clientes = resolve_clientes(txn, ms).await?;
    let at = ms
        .iter()
        .map(|m| m.at)
        .max()
        .unwrap_or_else(chrono::Utc::now);
    let departamento = shared.departamento(txn, at).await?;
    let membros = shared.membros(txn, departamento).await?;
    struct Row {
        chat_id: String,
        numero: String,
        mensagem_inicial: String,
    }
    let rows: Vec<Row> = ms
        .iter()
        .map(|m| Row {
            chat_id: m.chat_id.chars().take(100).collect(),
            numero: m.numero.chars().take(20).collect(),
            mensagem_inicial: m.texto.chars().take(MENSAGEM_INICIAL_MAX).collect(),
        })
        .collect();
    let new: Vec<NewAtendimento> = ms
        .iter()
        .zip(&rows)
        .zip(&clientes)
        .map(|((m, r), &(cliente, _))| NewAtendimento {
            departamento,
            cliente,
            atendente: None,
            chat_id: &r.chat_id,
            numero: &r.numero,
            status: Status::Aguardando,
            prioridade: Prioridade::Normal,
            total_mensagens_cliente: 1,
            total_mensagens_atendente: 0,
            avaliacao: None,
            comentario_avaliacao: "",
            observacoes: "",
            mensagem_inicial: &r.mensagem_inicial,
            ultima: Some((&m.texto, &m.tipo, m.at)),
            iniciado_em: None,
            at: m.at,
        })
        .collect();
    let ids = insert_rows(txn, &new).await?;
    let filas: Vec<NewFila> = ms
        .iter()
        .zip(&rows)
        .zip(&clientes)
        .map(|((m, r), &(cliente, _))| NewFila {
            departamento,
            cliente,
            chat_id: &r.chat_id,
            numero: &r.numero,
            mensagem_inicial: &r.mensagem_inicial,
            prioridade: Prioridade::Normal,
            at: m.at,
        })
        .collect();
    insert_filas(txn, &filas).await?;
    rows.into_iter()
        .zip(clientes)
        .map(|(r, (_, cliente_criado))| {
            Ok(Created {
                id: *ids
                    .get(&r.chat_id)
                    .ok_or_else(|| DomainError::internal("intake: atendimento not inserted"))?,
                mensagem_inicial: r.mensagem_inicial,
                membros: membros.clone(),
                cliente_criado,
            })
        })
        .collect()
}

/// One inbound message as a job of SQLite's group-commit writer ([`crate::writer`]): the
/// intakes queued together run in one transaction (which holds the write lock, so each sees
/// the ones before it) and commit once.
///
/// Most messages belong to a chat that is already open, and a busy chat has many of them in
/// one batch. The first message of each chat in the batch is counted by its own `UPDATE`;
/// once the chat is known to be open, the batch's later messages to it are counted together
/// by one `UPDATE` at the end, and all of them answer the chat as it stands after the batch
/// (one read per chat, not per message). A message whose chat is not open yet takes the
/// whole intake ([`inbound_in`]) in a savepoint of its own, so that its failure undoes only
/// its own work.
struct InboundJob(InboundChat);

/// The messages of one batch counted on one open atendimento.
struct OpenInBatch {
    id: i64,
    /// Every job answered with the atendimento as it stands after the batch.
    answered: Vec<usize>,
    /// The jobs among them not counted yet (in order).
    uncounted: Vec<usize>,
}

/// [`not_open`] in a savepoint: only its own work is undone when it fails.
async fn not_open_savepoint(
    txn: &DatabaseTransaction,
    m: &InboundChat,
    shared: &mut Shared,
) -> std::result::Result<Result<IntakeOutcome>, DbErr> {
    txn.execute_unprepared("SAVEPOINT intake_item").await?;
    match not_open(txn, m, shared).await {
        Ok(o) => {
            txn.execute_unprepared("RELEASE intake_item").await?;
            Ok(Ok(o))
        }
        Err(e) => {
            // Undoing the savepoint fails only when the connection itself did.
            txn.execute_unprepared("ROLLBACK TO intake_item").await?;
            txn.execute_unprepared("RELEASE intake_item").await?;
            // What it read may be what it wrote (a "Suporte" it created): read it again.
            *shared = Shared::default();
            Ok(Err(e))
        }
    }
}

/// Counts the batch's later messages of `group` in one `UPDATE`, then answers its jobs.
async fn settle(
    txn: &DatabaseTransaction,
    jobs: &[InboundJob],
    group: &OpenInBatch,
    out: &mut [Option<Result<IntakeOutcome>>],
) {
    if let Some(&last) = group.uncounted.last() {
        let n = i64::try_from(group.uncounted.len()).unwrap_or(i64::MAX);
        let mut up = count_messages(n, &jobs[last].0);
        up.bind1(" WHERE id = ?", group.id);
        if let Err(e) = super::exec(txn, &up).await {
            answer_all(out, &group.uncounted, Err(e));
        }
    }
    let state = fetched(txn, group.id).await.map(IntakeOutcome::Appended);
    let waiting: Vec<usize> = group
        .answered
        .iter()
        .copied()
        .filter(|&i| out[i].is_none())
        .collect();
    answer_all(out, &waiting, state);
}

/// Gives `result` to the jobs `to`: the first gets the error itself (with its source chain,
/// for the log), the others a copy of its message.
fn answer_all(
    out: &mut [Option<Result<IntakeOutcome>>],
    to: &[usize],
    result: Result<IntakeOutcome>,
) {
    let Some((&first, rest)) = to.split_first() else {
        return;
    };
    for &i in rest {
        out[i] = Some(match &result {
            Ok(o) => Ok(o.clone()),
            Err(e) => Err(DomainError::internal(e.to_string())),
        });
    }
    out[first] = Some(result);
}

/// The open atendimento of each of these chats (the partial unique index holds at most one).
async fn open_chats(
    txn: &DatabaseTransaction,
    jobs: &[InboundJob],
) -> Result<HashMap<String, i64>> {
    let mut chats: Vec<&str> = jobs.iter().map(|j| j.0.chat_id.as_str()).collect();
    chats.sort_unstable();
    chats.dedup();
    let mut q = Sql::new(&format!(
        "SELECT id, chat_id {} WHERE ",
        super::from_open_by_chat(txn.get_database_backend())
    ));
    q.in_list("chat_id", chats.into_iter().map(text_value).collect())
        .push(&format!(" AND status IN {OPEN_SQL}"));
    let mut open = HashMap::new();
    for r in super::rows(txn, &q).await? {
        let id: i64 = super::sql::col(&r, "id").map_err(DomainError::internal)?;
        let chat: String = super::sql::col(&r, "chat_id").map_err(DomainError::internal)?;
        open.insert(chat, id);
    }
    Ok(open)
}

/// The atendimentos `ids` as they stand, by id (one read).
async fn states(txn: &DatabaseTransaction, ids: &[i64]) -> Result<HashMap<i64, Atendimento>> {
    let mut q = Sql::new(super::SELECT_ATENDIMENTO);
    q.push(" WHERE ").in_list(
        "a.id",
        ids.iter().map(|i| sea_orm::Value::from(*i)).collect(),
    );
    Ok(super::atendimentos(txn, &q)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect())
}

/// One chat's messages in a batch of the fast path.
struct ChatInBatch {
    id: i64,
    /// Opened by this batch: the job that opened it, and what it made.
    opened: Option<(usize, Created)>,
    /// The jobs answered `Appended` (the later ones).
    answered: Vec<usize>,
}

/// The batch in a few statements: one read finds which of its chats are open; each new chat
/// is opened ([`create_chat`]); each chat's messages are counted by one `UPDATE`; one read
/// answers every chat as it stands after the batch. No savepoint per item: when the batch
/// opens chats, `Ok(None)` if anything failed, with everything of this path undone, and the
/// caller takes the item-by-item path (which undoes only the failing item's work); a batch
/// that only counts on open chats runs without any savepoint. Not for batches that move
/// chats from a lid or BSUID to the number ([`rekey_peer`]).
async fn fast_batch(
    txn: &DatabaseTransaction,
    jobs: &[InboundJob],
) -> std::result::Result<Option<Vec<Result<IntakeOutcome>>>, DbErr> {
    let open = match open_chats(txn, jobs).await {
        Ok(open) => open,
        Err(_) => return Ok(None),
    };
    if jobs.iter().all(|j| open.contains_key(&j.0.chat_id)) {
        // Only counts on open chats: nothing to undo item by item, and no savepoint (whose
        // journal copies every page the batch touches). A failure here is the database's,
        // and fails the batch.
        return fast_in(txn, jobs, open)
            .await
            .map(Some)
            .map_err(|e| DbErr::Custom(e.to_string()));
    }
    txn.execute_unprepared("SAVEPOINT intake_fast").await?;
    match fast_in(txn, jobs, open).await {
        Ok(out) => {
            txn.execute_unprepared("RELEASE intake_fast").await?;
            Ok(Some(out))
        }
        Err(_) => {
            txn.execute_unprepared("ROLLBACK TO intake_fast").await?;
            txn.execute_unprepared("RELEASE intake_fast").await?;
            Ok(None)
        }
    }
}

async fn fast_in(
    txn: &DatabaseTransaction,
    jobs: &[InboundJob],
    open: HashMap<String, i64>,
) -> Result<Vec<Result<IntakeOutcome>>> {
    let mut chats: Vec<ChatInBatch> = Vec::new();
    let mut by_chat: HashMap<&str, usize> = HashMap::new();
    // (chat, job) of each chat the batch opens.
    let mut openers: Vec<(usize, usize)> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let m = &job.0;
        if let Some(&c) = by_chat.get(m.chat_id.as_str()) {
            chats[c].answered.push(i);
            continue;
        }
        by_chat.insert(&m.chat_id, chats.len());
        let id = match open.get(&m.chat_id) {
            Some(&id) => id,
            None => {
                openers.push((chats.len(), i));
                0
            }
        };
        chats.push(ChatInBatch {
            id,
            opened: None,
            answered: if id == 0 { Vec::new() } else { vec![i] },
        });
    }
    if !openers.is_empty() {
        let ms: Vec<&InboundChat> = openers.iter().map(|&(_, i)| &jobs[i].0).collect();
        let mut shared = Shared::default();
        let opened = create_chats(txn, &ms, &mut shared).await?;
        for ((c, i), created) in openers.into_iter().zip(opened) {
            chats[c].id = created.id;
            chats[c].opened = Some((i, created));
        }
    }
    let counted: Vec<(i64, i64, &InboundChat)> = chats
        .iter()
        .filter_map(|chat| {
            let &last = chat.answered.last()?;
            let n = i64::try_from(chat.answered.len()).unwrap_or(i64::MAX);
            Some((chat.id, n, &jobs[last].0))
        })
        .collect();
    count_on(txn, &counted).await?;
    let ids: Vec<i64> = chats.iter().map(|c| c.id).collect();
    let mut now = states(txn, &ids).await?;
    let mut out: Vec<Option<Result<IntakeOutcome>>> = jobs.iter().map(|_| None).collect();
    for chat in chats {
        let state = now
            .remove(&chat.id)
            .ok_or_else(|| DomainError::internal("atendimento vanished in its transaction"))?;
        for &i in &chat.answered {
            out[i] = Some(Ok(IntakeOutcome::Appended(state.clone())));
        }
        if let Some((i, created)) = chat.opened {
            out[i] = Some(Ok(created.outcome(state)));
        }
    }
    Ok(out
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(DomainError::internal("intake job not run"))))
        .collect())
}

#[async_trait]
impl BatchInsert for InboundJob {
    type Output = IntakeOutcome;

    async fn run(
        txn: &DatabaseTransaction,
        jobs: &[Self],
    ) -> std::result::Result<Vec<Result<IntakeOutcome>>, DbErr> {
        // The write lock first, as a database error: a busy database retries the batch.
        txn.execute_unprepared(crate::whatsapp_repo::WRITE_LOCK_SQL)
            .await?;
        let rekeys = jobs
            .iter()
            .any(|j| j.0.peer_id.as_deref().is_some_and(|p| p != j.0.chat_id));
        if !rekeys && let Some(out) = fast_batch(txn, jobs).await? {
            return Ok(out);
        }
        let mut out: Vec<Option<Result<IntakeOutcome>>> = jobs.iter().map(|_| None).collect();
        let mut groups: Vec<OpenInBatch> = Vec::new();
        // chat id → its group, for the chats known to be open in this batch.
        let mut open: HashMap<&str, usize> = HashMap::new();
        let mut shared = Shared::default();
        for (i, job) in jobs.iter().enumerate() {
            let m = &job.0;
            if let Some(&g) = open.get(m.chat_id.as_str()) {
                groups[g].answered.push(i);
                groups[g].uncounted.push(i);
                continue;
            }
            match append(txn, m).await {
                Ok(Some(id)) => {
                    open.insert(&m.chat_id, groups.len());
                    groups.push(OpenInBatch {
                        id,
                        answered: vec![i],
                        uncounted: Vec::new(),
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    out[i] = Some(Err(e));
                    continue;
                }
            }
            let outcome = not_open_savepoint(txn, m, &mut shared).await?;
            if let Ok(o) = &outcome {
                // A chat known under the customer's lid or BSUID has moved to the number.
                if let Some(peer) = m.peer_id.as_deref() {
                    open.remove(peer);
                }
                open.insert(&m.chat_id, groups.len());
                groups.push(OpenInBatch {
                    id: o.atendimento().id,
                    answered: Vec::new(),
                    uncounted: Vec::new(),
                });
            }
            out[i] = Some(outcome);
        }
        for group in &groups {
            settle(txn, jobs, group, &mut out).await;
        }
        Ok(out
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(DomainError::internal("intake job not run"))))
            .collect())
    }

    /// The clientes created for new numbers: one merge step of the search index per batch.
    async fn after(txn: &DatabaseTransaction) {
        crate::cliente_repo::merge_search_index(txn).await;
    }
}

#[async_trait]
impl IntakeRepository for SeaOrmIntakeRepository {
    async fn register_inbound(&self, m: &InboundChat) -> Result<IntakeOutcome> {
        if let Some(w) = self.database.writer() {
            return w.submit(InboundJob(m.clone())).await;
        }
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_chat(&txn, &m.chat_id).await?;
        if let Some(peer) = m.peer_id.as_deref().filter(|p| *p != m.chat_id) {
            lock_chat(&txn, peer).await?;
        }
        let outcome = inbound_in(&txn, m, &mut Shared::default()).await?;
        if matches!(
            outcome,
            IntakeOutcome::Opened {
                cliente_criado: true,
                ..
            }
        ) {
            crate::cliente_repo::merge_search_index(&txn).await;
        }
        txn.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    async fn register_outbound(&self, m: &OutboundChat) -> Result<Option<Atendimento>> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_chat(&txn, &m.chat_id).await?;
        let mut find = Sql::new("SELECT id FROM atendimentos");
        find.bind1(" WHERE chat_id = ?", text_value(&m.chat_id))
            .push(&format!(
                " AND status IN {OPEN_SQL} ORDER BY criado_em DESC LIMIT 1"
            ));
        let Some(id) = ids(&txn, &find).await?.into_iter().next() else {
            return Ok(None);
        };
        let before = fetched(&txn, id).await?;
        let mut q = Sql::new(
            "UPDATE atendimentos SET total_mensagens = total_mensagens + 1, \
             ultima_mensagem_direcao = 'outbound'",
        );
        set_last_message(&mut q, &m.texto, &m.tipo, m.at);
        if m.by_agent {
            q.push(
                ", total_mensagens_atendente = total_mensagens_atendente + 1, mensagens_nao_lidas = 0",
            );
            if before.primeira_resposta_em.is_none() {
                let secs = (m.at - before.criado_em).num_seconds().max(0);
                q.bind(
                    ", primeira_resposta_em = ?, tempo_primeira_resposta_segundos = ?",
                    [m.at.into(), secs.into()],
                );
            }
        }
        q.bind1(" WHERE id = ?", id);
        super::exec(&txn, &q).await?;
        let a = fetched(&txn, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(Some(a))
    }
}

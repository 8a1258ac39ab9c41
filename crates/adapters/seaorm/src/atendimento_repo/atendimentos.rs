//! Atendimentos: the CRUD of §4.7 and the chat lookups of §4.6.

use super::sql::Sql;
use super::{
    OPEN_SQL, SELECT_ATENDIMENTO, atendimentos, check_refs, exec, fetch, insert_returning_id,
    scalar, text_value, violates,
};
use crate::support::window;
use async_trait::async_trait;
use atendimento::commands::{AtendimentoChanges, AtendimentoFilter};
use atendimento::model::{Atendimento, Prioridade, Status};
use atendimento::ports::{AtendimentoRepository, CHAT_OPEN, ChatStatuses};
use chrono::{DateTime, Utc};
use kernel::{DomainError, Page, PageRequest, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::collections::HashMap;

pub struct SeaOrmAtendimentoRepository {
    db: DatabaseConnection,
}

impl SeaOrmAtendimentoRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

/// A violation of the one-open-atendimento-per-chat index.
pub(crate) fn chat_conflict(e: DomainError) -> DomainError {
    if violates(&e, &["ux_atendimentos_chat_open", "atendimentos.chat_id"]) {
        DomainError::Conflict(CHAT_OPEN.into())
    } else {
        e
    }
}

/// A new atendimento row.
pub(crate) struct NewAtendimento<'a> {
    pub departamento: i64,
    pub cliente: i64,
    pub atendente: Option<i64>,
    pub chat_id: &'a str,
    pub numero: &'a str,
    pub status: Status,
    pub prioridade: Prioridade,
    pub total_mensagens_cliente: i64,
    pub total_mensagens_atendente: i64,
    pub avaliacao: Option<i32>,
    pub comentario_avaliacao: &'a str,
    pub observacoes: &'a str,
    pub mensagem_inicial: &'a str,
    /// The opening message (intake), as the last message and the window's start.
    pub ultima: Option<(&'a str, &'a str, DateTime<Utc>)>,
    pub iniciado_em: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

pub(crate) async fn insert_row<D: ConnectionTrait>(db: &D, n: &NewAtendimento<'_>) -> Result<i64> {
    let mut q = Sql::new(INSERT_ATENDIMENTO);
    q.bind(&format!(" VALUES {ROW_MARKS} RETURNING id"), values(n));
    insert_returning_id(db, &q).await.map_err(chat_conflict)
}

/// Inserts `rows` in one statement (at most a few hundred: 27 values each); the new ids by
/// chat id (the rows' chats are distinct: one open atendimento per chat).
pub(crate) async fn insert_rows<D: ConnectionTrait>(
    db: &D,
    rows: &[NewAtendimento<'_>],
) -> Result<HashMap<String, i64>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = Sql::new(INSERT_ATENDIMENTO);
    for (i, n) in rows.iter().enumerate() {
        q.push(if i == 0 { " VALUES " } else { ", " })
            .bind(ROW_MARKS, values(n));
    }
    q.push(" RETURNING id, chat_id");
    let mut ids = HashMap::with_capacity(rows.len());
    for r in super::rows(db, &q).await.map_err(chat_conflict)? {
        ids.insert(
            super::sql::col::<String>(&r, "chat_id").map_err(DomainError::internal)?,
            super::sql::col::<i64>(&r, "id").map_err(DomainError::internal)?,
        );
    }
    Ok(ids)
}

const INSERT_ATENDIMENTO: &str = "INSERT INTO atendimentos (departamento_id, cliente_id, \
     atendente_id, chat_id, numero_whatsapp, status, prioridade, prioridade_rank, \
     total_mensagens_cliente, total_mensagens_atendente, avaliacao, comentario_avaliacao, \
     observacoes, criado_em, iniciado_em, atualizado_em, janela_desde, total_mensagens, \
     mensagens_nao_lidas, ultima_mensagem_texto, ultima_mensagem_em, ultima_mensagem_tipo, \
     ultima_mensagem_direcao, auto_encerrado, mensagem_inicial, criado_dia, \
     tempo_espera_segundos)";

/// One row's placeholders in [`INSERT_ATENDIMENTO`].
const ROW_MARKS: &str =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// The values of one row of [`INSERT_ATENDIMENTO`], in order.
fn values(n: &NewAtendimento<'_>) -> [sea_orm::Value; 27] {
    let (texto, tipo, em) = match n.ultima {
        Some((t, k, e)) => (Some(t.to_string()), Some(k.to_string()), Some(e)),
        None => (None, None, None),
    };
    let total = if n.ultima.is_some() { 1i64 } else { 0 };
    [
        n.departamento.into(),
        n.cliente.into(),
        n.atendente.into(),
        text_value(n.chat_id),
        text_value(n.numero),
        text_value(n.status.as_str()),
        text_value(n.prioridade.as_str()),
        n.prioridade.rank().into(),
        n.total_mensagens_cliente.into(),
        n.total_mensagens_atendente.into(),
        n.avaliacao.into(),
        text_value(n.comentario_avaliacao),
        text_value(n.observacoes),
        n.at.into(),
        n.iniciado_em.into(),
        n.at.into(),
        em.unwrap_or(n.at).into(),
        total.into(),
        total.into(),
        texto.into(),
        em.into(),
        tipo.into(),
        n.ultima.map(|_| "inbound".to_string()).into(),
        false.into(),
        text_value(n.mensagem_inicial),
        text_value(&dia(n.at)),
        n.iniciado_em
            .map(|i| (i - n.at).num_seconds().max(0))
            .into(),
    ]
}

/// The São Paulo calendar day of `t` (`YYYY-MM-DD`), what the reports group by.
pub(crate) fn dia(t: DateTime<Utc>) -> String {
    t.with_timezone(&kernel::clock::TZ)
        .format("%Y-%m-%d")
        .to_string()
}

fn order_column(field: &str) -> Option<&'static str> {
    Some(match field {
        "criado_em" => "a.criado_em",
        "iniciado_em" => "a.iniciado_em",
        "finalizado_em" => "a.finalizado_em",
        _ => return None,
    })
}

#[async_trait]
impl AtendimentoRepository for SeaOrmAtendimentoRepository {
    async fn list(
        &self,
        f: &AtendimentoFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Atendimento>>> {
        let backend = self.db.get_database_backend();
        let mut cond = Sql::new(" WHERE 1 = 1");
        if let Some(s) = f.status {
            cond.bind1(" AND a.status = ?", text_value(s.as_str()));
        }
        if let Some(d) = f.departamento {
            cond.bind1(" AND a.departamento_id = ?", d);
        }
        if let Some(a) = f.atendente {
            cond.bind1(" AND a.atendente_id = ?", a);
        }
        if let Some(p) = f.prioridade {
            cond.bind1(" AND a.prioridade = ?", text_value(p.as_str()));
        }
        if let Some(s) = f.scope {
            cond.bind1(" AND a.atendente_id = ?", s);
        }
        for term in &f.search {
            cond.icontains_any(
                &["c.razao_social", "a.numero_whatsapp", "a.observacoes"],
                term,
                backend,
            );
        }
        let mut count =
            Sql::new("SELECT COUNT(*) FROM atendimentos a JOIN clientes c ON c.id = a.cliente_id");
        count.append(&cond);
        let total = scalar(&self.db, &count).await?.max(0) as u64;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let mut order = Vec::new();
        let mut last_desc = true;
        for o in &f.ordering {
            if let Some(c) = order_column(o.field) {
                order.push(format!("{c} {}", if o.desc { "DESC" } else { "ASC" }));
                last_desc = o.desc;
            }
        }
        if order.is_empty() {
            order.push("a.criado_em DESC".into());
            last_desc = true;
        }
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.append(&cond).push(&format!(
            " ORDER BY {}, a.id {}",
            order.join(", "),
            if last_desc { "DESC" } else { "ASC" }
        ));
        q.bind(
            " LIMIT ? OFFSET ?",
            [(w.limit as i64).into(), (w.offset as i64).into()],
        );
        Ok(Some(Page {
            items: atendimentos(&self.db, &q).await?,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn get(&self, id: i64, scope: Option<i64>) -> Result<Option<Atendimento>> {
        fetch(&self.db, id, scope).await
    }

    async fn insert(&self, c: &AtendimentoChanges, now: DateTime<Utc>) -> Result<Atendimento> {
        check_refs(
            &self.db,
            &[
                ("departamento", "departamentos", c.departamento),
                ("cliente", "clientes", c.cliente),
                ("atendente", "agents", c.atendente.flatten()),
            ],
        )
        .await?;
        let status = c.status.unwrap_or(Status::Aguardando);
        let id = insert_row(
            &self.db,
            &NewAtendimento {
                departamento: c.departamento.unwrap_or_default(),
                cliente: c.cliente.unwrap_or_default(),
                atendente: c.atendente.flatten(),
                chat_id: c.chat_id.as_deref().unwrap_or(""),
                numero: c.numero_whatsapp.as_deref().unwrap_or(""),
                status,
                prioridade: c.prioridade.unwrap_or_default(),
                total_mensagens_cliente: c.total_mensagens_cliente.unwrap_or(0),
                total_mensagens_atendente: c.total_mensagens_atendente.unwrap_or(0),
                avaliacao: c.avaliacao.flatten(),
                comentario_avaliacao: c.comentario_avaliacao.as_deref().unwrap_or(""),
                observacoes: c.observacoes.as_deref().unwrap_or(""),
                mensagem_inicial: "",
                ultima: None,
                iniciado_em: None,
                at: now,
            },
        )
        .await?;
        fetch(&self.db, id, None)
            .await?
            .ok_or_else(|| DomainError::internal("inserted atendimento vanished"))
    }

    async fn update(
        &self,
        id: i64,
        c: &AtendimentoChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>> {
        check_refs(
            &self.db,
            &[
                ("departamento", "departamentos", c.departamento),
                ("cliente", "clientes", c.cliente),
                ("atendente", "agents", c.atendente.flatten()),
            ],
        )
        .await?;
        let mut q = Sql::new("UPDATE atendimentos SET");
        q.bind1(" atualizado_em = ?", now);
        if let Some(v) = c.departamento {
            q.bind1(", departamento_id = ?", v);
        }
        if let Some(v) = c.cliente {
            q.bind1(", cliente_id = ?", v);
        }
        if let Some(v) = c.atendente {
            q.bind1(", atendente_id = ?", v);
        }
        if let Some(v) = &c.chat_id {
            q.bind1(", chat_id = ?", text_value(v));
        }
        if let Some(v) = &c.numero_whatsapp {
            q.bind1(", numero_whatsapp = ?", text_value(v));
        }
        if let Some(s) = c.status {
            q.bind1(", status = ?", text_value(s.as_str()));
        }
        if let Some(p) = c.prioridade {
            q.bind(
                ", prioridade = ?, prioridade_rank = ?",
                [text_value(p.as_str()), p.rank().into()],
            );
        }
        if let Some(v) = c.total_mensagens_cliente {
            q.bind1(", total_mensagens_cliente = ?", v);
        }
        if let Some(v) = c.total_mensagens_atendente {
            q.bind1(", total_mensagens_atendente = ?", v);
        }
        if let Some(v) = c.avaliacao {
            q.bind1(", avaliacao = ?", v);
        }
        if let Some(v) = &c.comentario_avaliacao {
            q.bind1(", comentario_avaliacao = ?", text_value(v));
        }
        if let Some(v) = &c.observacoes {
            q.bind1(", observacoes = ?", text_value(v));
        }
        q.bind1(" WHERE id = ?", id);
        if exec(&self.db, &q).await.map_err(chat_conflict)? == 0 {
            return Ok(None);
        }
        fetch(&self.db, id, None).await
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        Ok(exec(
            &self.db,
            Sql::new("DELETE FROM atendimentos").bind1(" WHERE id = ?", id),
        )
        .await?
            > 0)
    }

    async fn meus(&self, atendente: i64) -> Result<Vec<Atendimento>> {
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.bind1(" WHERE a.atendente_id = ?", atendente)
            .push(&format!(
                " AND a.status IN {OPEN_SQL} ORDER BY a.criado_em DESC, a.id DESC"
            ));
        atendimentos(&self.db, &q).await
    }

    async fn latest_by_chat(
        &self,
        chat_id: &str,
        among: ChatStatuses,
    ) -> Result<Option<Atendimento>> {
        let mut q = Sql::new(SELECT_ATENDIMENTO);
        q.bind1(" WHERE a.chat_id = ?", text_value(chat_id));
        match among {
            ChatStatuses::Open => {
                q.push(&format!(" AND a.status IN {OPEN_SQL}"));
            }
            ChatStatuses::OpenOrFinalizado => {
                q.push(" AND a.status <> 'cancelado'");
            }
            ChatStatuses::Any => {}
        }
        q.push(" ORDER BY a.criado_em DESC, a.id DESC LIMIT 1");
        Ok(atendimentos(&self.db, &q).await?.into_iter().next())
    }
}

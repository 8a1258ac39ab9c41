//! Queue rows (`filas_atendimento`), ordered by the priority's semantic rank.

use super::sql::{Sql, col};
use super::{check_refs, exec, insert_returning_id, prioridade_of, rows, scalar, text_value};
use crate::support::window;
use async_trait::async_trait;
use atendimento::commands::{FilaChanges, FilaFilter};
use atendimento::model::{FilaItem, Prioridade};
use atendimento::ports::FilaRepository;
use chrono::{DateTime, Utc};
use kernel::{DomainError, Page, PageRequest, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, QueryResult};

const SELECT: &str = "SELECT f.*, d.nome AS d_nome, d.tempo_resposta_esperado_minutos AS d_tempo, \
     c.razao_social AS c_nome \
     FROM filas_atendimento f \
     JOIN departamentos d ON d.id = f.departamento_id \
     JOIN clientes c ON c.id = f.cliente_id";

pub struct SeaOrmFilaRepository {
    db: DatabaseConnection,
}

impl SeaOrmFilaRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

fn of(r: &QueryResult) -> Result<FilaItem, DbErr> {
    Ok(FilaItem {
        id: col(r, "id")?,
        departamento: col(r, "departamento_id")?,
        departamento_nome: col(r, "d_nome")?,
        tempo_resposta_esperado_minutos: col(r, "d_tempo")?,
        cliente: col(r, "cliente_id")?,
        cliente_nome: col(r, "c_nome")?,
        chat_id: col(r, "chat_id")?,
        numero_whatsapp: col(r, "numero_whatsapp")?,
        mensagem_inicial: col(r, "mensagem_inicial")?,
        prioridade: prioridade_of(&col::<String>(r, "prioridade")?)?,
        entrou_na_fila_em: col(r, "entrou_na_fila_em")?,
        atribuido_em: col(r, "atribuido_em")?,
    })
}

async fn load<D: ConnectionTrait>(db: &D, q: &Sql) -> Result<Vec<FilaItem>> {
    rows(db, q)
        .await?
        .iter()
        .map(|r| of(r).map_err(DomainError::internal))
        .collect()
}

async fn get_one<D: ConnectionTrait>(db: &D, id: i64) -> Result<Option<FilaItem>> {
    let mut q = Sql::new(SELECT);
    q.bind1(" WHERE f.id = ?", id);
    Ok(load(db, &q).await?.into_iter().next())
}

/// Inserts a queue row (used by the intake too).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_row<D: ConnectionTrait>(
    db: &D,
    departamento: i64,
    cliente: i64,
    chat_id: &str,
    numero: &str,
    mensagem_inicial: &str,
    prioridade: Prioridade,
    at: DateTime<Utc>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO filas_atendimento (departamento_id, cliente_id, chat_id, numero_whatsapp, \
         mensagem_inicial, prioridade, prioridade_rank, entrou_na_fila_em)",
    );
    q.bind(
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [
            departamento.into(),
            cliente.into(),
            text_value(chat_id),
            text_value(numero),
            text_value(mensagem_inicial),
            text_value(prioridade.as_str()),
            prioridade.rank().into(),
            at.into(),
        ],
    );
    insert_returning_id(db, &q).await
}

/// A new queue row for [`insert_rows`].
pub(crate) struct NewFila<'a> {
    pub departamento: i64,
    pub cliente: i64,
    pub chat_id: &'a str,
    pub numero: &'a str,
    pub mensagem_inicial: &'a str,
    pub prioridade: Prioridade,
    pub at: DateTime<Utc>,
}

/// Inserts `rows` in one statement.
pub(crate) async fn insert_rows<D: ConnectionTrait>(db: &D, rows: &[NewFila<'_>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO filas_atendimento (departamento_id, cliente_id, chat_id, numero_whatsapp, \
         mensagem_inicial, prioridade, prioridade_rank, entrou_na_fila_em) VALUES ",
    );
    for (i, f) in rows.iter().enumerate() {
        q.bind(
            if i == 0 {
                "(?, ?, ?, ?, ?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?, ?, ?, ?, ?)"
            },
            [
                f.departamento.into(),
                f.cliente.into(),
                text_value(f.chat_id),
                text_value(f.numero),
                text_value(f.mensagem_inicial),
                text_value(f.prioridade.as_str()),
                f.prioridade.rank().into(),
                f.at.into(),
            ],
        );
    }
    super::exec(db, &q).await?;
    Ok(())
}

#[async_trait]
impl FilaRepository for SeaOrmFilaRepository {
    async fn list(&self, f: &FilaFilter, page: PageRequest) -> Result<Option<Page<FilaItem>>> {
        let mut cond = Sql::new(" WHERE 1 = 1");
        if let Some(d) = f.departamento {
            cond.bind1(" AND f.departamento_id = ?", d);
        }
        if let Some(p) = f.prioridade {
            cond.bind1(" AND f.prioridade = ?", text_value(p.as_str()));
        }
        let mut count = Sql::new("SELECT COUNT(*) FROM filas_atendimento f");
        count.append(&cond);
        let total = scalar(&self.db, &count).await?.max(0) as u64;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let mut order = Vec::new();
        let mut last_desc = false;
        for o in &f.ordering {
            let column = match o.field {
                "entrou_na_fila_em" => "f.entrou_na_fila_em",
                "prioridade" => "f.prioridade_rank",
                _ => continue,
            };
            order.push(format!("{column} {}", if o.desc { "DESC" } else { "ASC" }));
            last_desc = o.desc;
        }
        if order.is_empty() {
            order.push("f.prioridade_rank DESC, f.entrou_na_fila_em ASC".into());
            last_desc = false;
        }
        let mut q = Sql::new(SELECT);
        q.append(&cond).push(&format!(
            " ORDER BY {}, f.id {}",
            order.join(", "),
            if last_desc { "DESC" } else { "ASC" }
        ));
        q.bind(
            " LIMIT ? OFFSET ?",
            [(w.limit as i64).into(), (w.offset as i64).into()],
        );
        Ok(Some(Page {
            items: load(&self.db, &q).await?,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn get(&self, id: i64) -> Result<Option<FilaItem>> {
        get_one(&self.db, id).await
    }

    async fn insert(&self, c: &FilaChanges, now: DateTime<Utc>) -> Result<FilaItem> {
        check_refs(
            &self.db,
            &[
                ("departamento", "departamentos", c.departamento),
                ("cliente", "clientes", c.cliente),
            ],
        )
        .await?;
        let id = insert_row(
            &self.db,
            c.departamento.unwrap_or_default(),
            c.cliente.unwrap_or_default(),
            c.chat_id.as_deref().unwrap_or(""),
            c.numero_whatsapp.as_deref().unwrap_or(""),
            c.mensagem_inicial.as_deref().unwrap_or(""),
            c.prioridade.unwrap_or_default(),
            now,
        )
        .await?;
        get_one(&self.db, id)
            .await?
            .ok_or_else(|| DomainError::internal("inserted queue row vanished"))
    }

    async fn update(&self, id: i64, c: &FilaChanges) -> Result<Option<FilaItem>> {
        check_refs(
            &self.db,
            &[
                ("departamento", "departamentos", c.departamento),
                ("cliente", "clientes", c.cliente),
            ],
        )
        .await?;
        let mut q = Sql::new("UPDATE filas_atendimento SET id = id");
        if let Some(v) = c.departamento {
            q.bind1(", departamento_id = ?", v);
        }
        if let Some(v) = c.cliente {
            q.bind1(", cliente_id = ?", v);
        }
        if let Some(v) = &c.chat_id {
            q.bind1(", chat_id = ?", text_value(v));
        }
        if let Some(v) = &c.numero_whatsapp {
            q.bind1(", numero_whatsapp = ?", text_value(v));
        }
        if let Some(v) = &c.mensagem_inicial {
            q.bind1(", mensagem_inicial = ?", text_value(v));
        }
        if let Some(p) = c.prioridade {
            q.bind(
                ", prioridade = ?, prioridade_rank = ?",
                [text_value(p.as_str()), p.rank().into()],
            );
        }
        q.bind1(" WHERE id = ?", id);
        if exec(&self.db, &q).await? == 0 {
            return Ok(None);
        }
        get_one(&self.db, id).await
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        Ok(exec(
            &self.db,
            Sql::new("DELETE FROM filas_atendimento").bind1(" WHERE id = ?", id),
        )
        .await?
            > 0)
    }
}

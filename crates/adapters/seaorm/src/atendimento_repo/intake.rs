//! The chat intake (§6.1) in one transaction per message, serialized per chat: the write lock
//! on SQLite, a transaction-level advisory lock on the chat id on PostgreSQL (so concurrent
//! first messages of one chat resolve one cliente and open one atendimento; the partial
//! unique index is the last line of defence).

use super::atendimentos::{NewAtendimento, insert_row};
use super::departamentos::{insert_row as insert_departamento, members};
use super::filas::insert_row as insert_fila;
use super::sql::Sql;
use super::{OPEN_SQL, fetch, ids, lock, text_value};
use crate::support::db_err;
use async_trait::async_trait;
use atendimento::commands::DepartamentoChanges;
use atendimento::model::{Atendimento, Prioridade, Status};
use atendimento::ports::{InboundChat, IntakeOutcome, IntakeRepository, OutboundChat};
use clientes::ClienteData;
use kernel::{DomainError, Result};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait,
};

/// The queue row's `mensagem_inicial`: the first 500 characters.
const MENSAGEM_INICIAL_MAX: usize = 500;
/// Advisory-lock namespace of the intake (first key of the two-key form).
const LOCK_NAMESPACE: i32 = 8_001;

pub struct SeaOrmIntakeRepository {
    db: DatabaseConnection,
}

impl SeaOrmIntakeRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
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

/// The number as contatos and clientes may hold it (as sent, or with a leading `+`).
fn spellings(numero: &str) -> [sea_orm::Value; 2] {
    let bare = numero.trim_start_matches('+');
    [text_value(bare), text_value(&format!("+{bare}"))]
}

/// The cliente of the number: a contato's (active or not), else one whose
/// `telefone_principal` is it, else a new one. `true` when it was created.
async fn resolve_cliente(txn: &DatabaseTransaction, m: &InboundChat) -> Result<(i64, bool)> {
    let mut q = Sql::new("SELECT cliente_id FROM contatos WHERE ");
    q.in_list("whatsapp", spellings(&m.numero).to_vec())
        .push(" ORDER BY ativo DESC, id LIMIT 1");
    if let Some(id) = ids(txn, &q).await?.into_iter().next() {
        return Ok((id, false));
    }
    let mut q = Sql::new("SELECT id FROM clientes WHERE ");
    q.in_list("telefone_principal", spellings(&m.numero).to_vec())
        .push(" ORDER BY id LIMIT 1");
    if let Some(id) = ids(txn, &q).await?.into_iter().next() {
        return Ok((id, false));
    }
    let mut data = ClienteData::defaults(String::new());
    let name = m.contact_name.trim();
    data.razao_social = if name.is_empty() {
        format!("Cliente {}", m.numero)
    } else {
        name.chars().take(255).collect()
    };
    data.telefone_principal = Some(m.numero.chars().take(20).collect());
    data.status = "ativo".into();
    let created = crate::cliente_repo::insert_with_free_placeholder(txn, &data).await?;
    Ok((created.id, true))
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

#[async_trait]
impl IntakeRepository for SeaOrmIntakeRepository {
    async fn register_inbound(&self, m: &InboundChat) -> Result<IntakeOutcome> {
        let txn = self.db.begin().await.map_err(db_err)?;
        lock_chat(&txn, &m.chat_id).await?;
        let mut up = Sql::new(
            "UPDATE atendimentos SET total_mensagens_cliente = total_mensagens_cliente + 1, \
             total_mensagens = total_mensagens + 1, mensagens_nao_lidas = mensagens_nao_lidas + 1, \
             ultima_mensagem_direcao = 'inbound'",
        );
        up.bind(
            ", ultima_mensagem_texto = ?, ultima_mensagem_em = ?, ultima_mensagem_tipo = ?, \
             atualizado_em = ?",
            [
                text_value(&m.texto),
                m.at.into(),
                text_value(&m.tipo),
                m.at.into(),
            ],
        )
        .bind1(" WHERE chat_id = ?", text_value(&m.chat_id))
        .push(&format!(" AND status IN {OPEN_SQL} RETURNING id"));
        if let Some(id) = ids(&txn, &up).await?.into_iter().next() {
            let a = fetched(&txn, id).await?;
            txn.commit().await.map_err(db_err)?;
            return Ok(IntakeOutcome::Appended(a));
        }
        let (cliente, cliente_criado) = resolve_cliente(&txn, m).await?;
        let departamento = default_departamento(&txn, m.at).await?;
        let mensagem_inicial: String = m.texto.chars().take(MENSAGEM_INICIAL_MAX).collect();
        let numero: String = m.numero.chars().take(20).collect();
        let chat_id: String = m.chat_id.chars().take(100).collect();
        let id = insert_row(
            &txn,
            &NewAtendimento {
                departamento,
                cliente,
                atendente: None,
                chat_id: &chat_id,
                numero: &numero,
                status: Status::Aguardando,
                prioridade: Prioridade::Normal,
                total_mensagens_cliente: 1,
                total_mensagens_atendente: 0,
                avaliacao: None,
                comentario_avaliacao: "",
                observacoes: "",
                mensagem_inicial: &mensagem_inicial,
                ultima: Some((&m.texto, &m.tipo, m.at)),
                iniciado_em: None,
                at: m.at,
            },
        )
        .await?;
        insert_fila(
            &txn,
            departamento,
            cliente,
            &chat_id,
            &numero,
            &mensagem_inicial,
            Prioridade::Normal,
            m.at,
        )
        .await?;
        let membros = members(&txn, &[departamento])
            .await?
            .remove(&departamento)
            .unwrap_or_default();
        let atendimento = fetched(&txn, id).await?;
        txn.commit().await.map_err(db_err)?;
        Ok(IntakeOutcome::Opened {
            atendimento,
            mensagem_inicial,
            membros,
            cliente_criado,
        })
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
        q.bind(
            ", ultima_mensagem_texto = ?, ultima_mensagem_em = ?, ultima_mensagem_tipo = ?, \
             atualizado_em = ?",
            [
                text_value(&m.texto),
                m.at.into(),
                text_value(&m.tipo),
                m.at.into(),
            ],
        );
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

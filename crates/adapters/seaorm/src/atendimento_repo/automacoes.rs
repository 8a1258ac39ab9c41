//! The automations' switches (one `automacoes` row, id 1) and their marks on atendimentos.

use super::sql::{Sql, col};
use super::{exec, ids, rows, text_value};
use async_trait::async_trait;
use atendimento::automacoes::{Automacoes, AutomacoesPatch, AutomacoesRepository, AutomationMarks};
use chrono::{DateTime, Utc};
use kernel::{DomainError, Result};
use sea_orm::{ConnectionTrait, DatabaseConnection};

pub struct SeaOrmAutomacoesRepository {
    db: DatabaseConnection,
}

impl SeaOrmAutomacoesRepository {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

async fn read<D: ConnectionTrait>(db: &D) -> Result<Automacoes> {
    let rs = rows(db, &Sql::new("SELECT * FROM automacoes WHERE id = 1")).await?;
    let Some(r) = rs.first() else {
        return Ok(Automacoes::default());
    };
    (|| {
        Ok::<_, sea_orm::DbErr>(Automacoes {
            saudacao: col(r, "saudacao")?,
            fora_expediente: col(r, "fora_expediente")?,
            encerramento: col(r, "encerramento")?,
            inatividade: col(r, "inatividade")?,
            pesquisa_satisfacao: col(r, "pesquisa_satisfacao")?,
            pesquisa_satisfacao_mensagem: col(r, "pesquisa_satisfacao_mensagem")?,
        })
    })()
    .map_err(DomainError::internal)
}

#[async_trait]
impl AutomacoesRepository for SeaOrmAutomacoesRepository {
    async fn get(&self) -> Result<Automacoes> {
        read(&self.db).await
    }

    /// One statement: insert the defaults if the row is missing, then set the given columns
    /// (`ON CONFLICT (id) DO UPDATE`), so concurrent PATCHes of different switches both stay.
    async fn update(&self, p: &AutomacoesPatch, now: DateTime<Utc>) -> Result<Automacoes> {
        let d = Automacoes::default();
        let mut q = Sql::new(
            "INSERT INTO automacoes (id, saudacao, fora_expediente, encerramento, inatividade, \
             pesquisa_satisfacao, pesquisa_satisfacao_mensagem, atualizado_em)",
        );
        q.bind(
            " VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET atualizado_em = ?",
            [
                p.saudacao.unwrap_or(d.saudacao).into(),
                p.fora_expediente.unwrap_or(d.fora_expediente).into(),
                p.encerramento.unwrap_or(d.encerramento).into(),
                p.inatividade.unwrap_or(d.inatividade).into(),
                p.pesquisa_satisfacao
                    .unwrap_or(d.pesquisa_satisfacao)
                    .into(),
                text_value(
                    p.pesquisa_satisfacao_mensagem
                        .as_deref()
                        .unwrap_or(&d.pesquisa_satisfacao_mensagem),
                ),
                now.into(),
                now.into(),
            ],
        );
        for (col, v) in [
            ("saudacao", p.saudacao),
            ("fora_expediente", p.fora_expediente),
            ("encerramento", p.encerramento),
            ("inatividade", p.inatividade),
            ("pesquisa_satisfacao", p.pesquisa_satisfacao),
        ] {
            if let Some(v) = v {
                q.bind1(&format!(", {col} = ?"), v);
            }
        }
        if let Some(m) = &p.pesquisa_satisfacao_mensagem {
            q.bind1(", pesquisa_satisfacao_mensagem = ?", text_value(m));
        }
        exec(&self.db, &q).await?;
        read(&self.db).await
    }
}

/// [`AutomationMarks`] on the atendimentos table.
pub struct SeaOrmAutomationMarks {
    db: DatabaseConnection,
}

impl SeaOrmAutomationMarks {
    pub fn new(database: &crate::Database) -> Self {
        Self {
            db: database.connection().clone(),
        }
    }
}

#[async_trait]
impl AutomationMarks for SeaOrmAutomationMarks {
    async fn claim_fora_expediente(
        &self,
        atendimento: i64,
        now: DateTime<Utc>,
        periodo_desde: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        let mut q = Sql::new("UPDATE atendimentos SET");
        q.bind(
            " fora_expediente_avisado_em = ? WHERE id = ?",
            [now.into(), atendimento.into()],
        );
        match periodo_desde {
            Some(d) => q.bind1(
                " AND (fora_expediente_avisado_em IS NULL OR fora_expediente_avisado_em < ?)",
                d,
            ),
            None => q.push(" AND fora_expediente_avisado_em IS NULL"),
        };
        Ok(exec(&self.db, &q).await? == 1)
    }

    async fn mark_pesquisa(&self, atendimento: i64, now: DateTime<Utc>) -> Result<()> {
        exec(
            &self.db,
            Sql::new("UPDATE atendimentos SET").bind(
                " pesquisa_enviada_em = ? WHERE id = ?",
                [now.into(), atendimento.into()],
            ),
        )
        .await?;
        Ok(())
    }

    async fn record_pesquisa(
        &self,
        chat_id: &str,
        nota: i32,
        desde: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        // The latest finalizado atendimento of the chat, if its survey is pending.
        let mut target = Sql::new("SELECT id FROM atendimentos");
        target.bind1(
            " WHERE chat_id = ? AND status = 'finalizado' ORDER BY finalizado_em DESC, id DESC LIMIT 1",
            text_value(chat_id),
        );
        let Some(id) = ids(&self.db, &target).await?.into_iter().next() else {
            return Ok(None);
        };
        let mut q = Sql::new("UPDATE atendimentos SET");
        q.bind(
            " avaliacao = ?, atualizado_em = ? WHERE id = ? AND avaliacao IS NULL \
             AND pesquisa_enviada_em IS NOT NULL AND pesquisa_enviada_em >= ?",
            [nota.into(), now.into(), id.into(), desde.into()],
        );
        Ok((exec(&self.db, &q).await? == 1).then_some(id))
    }
}

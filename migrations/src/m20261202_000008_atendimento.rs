//! Atendimento (contract §3 Departamento…Transferencia, §4.6–§4.7, §6).
//!
//! - At most one open atendimento per chat: a partial unique index on `chat_id` over the open
//!   statuses (aguardando, em_atendimento, pausado).
//! - `prioridade_rank` (urgente 3 … baixa 0) sits beside `prioridade` so that the database
//!   orders by the semantic rank.
//! - The chat list's fields are kept on the atendimento (last message, counters), updated with
//!   each message, instead of being computed per request.
//! - `automacoes`: the automatic messages' switches (one row, id 1, created on first write).
//! - The reports group by `criado_dia` (the São Paulo calendar day of `criado_em`, written
//!   with the row) and average stored durations (`tempo_espera_segundos` queue → start,
//!   first response, handling), so they need no date arithmetic in SQL.

use crate::m20261126_000001_foundation::{boolean, id, text, timestamp};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clientes {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departamentos {
    Table,
    Id,
    Nome,
    Descricao,
    Cor,
    MaxAtendimentosSimultaneos,
    TempoRespostaEsperadoMinutos,
    Ativo,
    CriadoEm,
    AtualizadoEm,
}

#[derive(DeriveIden)]
enum DepartamentoAtendentes {
    Table,
    DepartamentoId,
    AgentId,
}

#[derive(DeriveIden)]
enum FilasAtendimento {
    Table,
    Id,
    DepartamentoId,
    ClienteId,
    ChatId,
    NumeroWhatsapp,
    MensagemInicial,
    Prioridade,
    PrioridadeRank,
    EntrouNaFilaEm,
    AtribuidoEm,
}

#[derive(DeriveIden)]
enum Atendimentos {
    Table,
    Id,
    DepartamentoId,
    ClienteId,
    AtendenteId,
    ChatId,
    NumeroWhatsapp,
    Status,
    Prioridade,
    PrioridadeRank,
    TempoPrimeiraRespostaSegundos,
    TempoTotalAtendimentoSegundos,
    TotalMensagensCliente,
    TotalMensagensAtendente,
    Avaliacao,
    ComentarioAvaliacao,
    Observacoes,
    CriadoEm,
    IniciadoEm,
    PrimeiraRespostaEm,
    FinalizadoEm,
    AtualizadoEm,
    JanelaDesde,
    TotalMensagens,
    MensagensNaoLidas,
    UltimaMensagemTexto,
    UltimaMensagemEm,
    UltimaMensagemTipo,
    UltimaMensagemDirecao,
    AutoEncerrado,
    MensagemInicial,
    TempoEsperaSegundos,
    CriadoDia,
    ForaExpedienteAvisadoEm,
    PesquisaEnviadaEm,
}

#[derive(DeriveIden)]
enum Automacoes {
    Table,
    Id,
    Saudacao,
    ForaExpediente,
    Encerramento,
    Inatividade,
    PesquisaSatisfacao,
    PesquisaSatisfacaoMensagem,
    AtualizadoEm,
}

#[derive(DeriveIden)]
enum Transferencias {
    Table,
    Id,
    AtendimentoId,
    AtendenteOrigemId,
    AtendenteDestinoId,
    DepartamentoOrigemId,
    DepartamentoDestinoId,
    Motivo,
    Aceito,
    AceitoEm,
    CriadoEm,
}

fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn big<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn big_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

fn int<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Atendimentos as A;
        use DepartamentoAtendentes as DA;
        use Departamentos as D;
        use FilasAtendimento as F;
        use ForeignKeyAction::{Cascade, SetNull};
        use Transferencias as T;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .if_not_exists()
                    .col(id(D::Id))
                    .col(
                        ColumnDef::new(D::Nome)
                            .string_len(100)
                            .not_null()
                            .unique_key(),
                    )
                    .col(text(D::Descricao))
                    .col(ColumnDef::new(D::Cor).string_len(7).not_null())
                    .col(int(D::MaxAtendimentosSimultaneos))
                    .col(int(D::TempoRespostaEsperadoMinutos))
                    .col(boolean(D::Ativo))
                    .col(timestamp(D::CriadoEm))
                    .col(timestamp(D::AtualizadoEm))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DA::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(DA::DepartamentoId).big_integer().not_null())
                    .col(ColumnDef::new(DA::AgentId).big_integer().not_null())
                    .primary_key(Index::create().col(DA::DepartamentoId).col(DA::AgentId))
                    .foreign_key(&mut fk(
                        "fk_departamento_atendentes_departamento",
                        (DA::Table, DA::DepartamentoId),
                        (D::Table, D::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_departamento_atendentes_agent",
                        (DA::Table, DA::AgentId),
                        (Agents::Table, Agents::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .if_not_exists()
                    .col(id(F::Id))
                    .col(ColumnDef::new(F::DepartamentoId).big_integer().not_null())
                    .col(ColumnDef::new(F::ClienteId).big_integer().not_null())
                    .col(ColumnDef::new(F::ChatId).string_len(100).not_null())
                    .col(ColumnDef::new(F::NumeroWhatsapp).string_len(20).not_null())
                    .col(text(F::MensagemInicial))
                    .col(text(F::Prioridade))
                    .col(ColumnDef::new(F::PrioridadeRank).small_integer().not_null())
                    .col(timestamp(F::EntrouNaFilaEm))
                    .col(ts_null(F::AtribuidoEm))
                    .foreign_key(&mut fk(
                        "fk_filas_departamento",
                        (F::Table, F::DepartamentoId),
                        (D::Table, D::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_filas_cliente",
                        (F::Table, F::ClienteId),
                        (Clientes::Table, Clientes::Id),
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .if_not_exists()
                    .col(id(A::Id))
                    .col(ColumnDef::new(A::DepartamentoId).big_integer().not_null())
                    .col(ColumnDef::new(A::ClienteId).big_integer().not_null())
                    .col(big_null(A::AtendenteId))
                    .col(ColumnDef::new(A::ChatId).string_len(100).not_null())
                    .col(ColumnDef::new(A::NumeroWhatsapp).string_len(20).not_null())
                    .col(text(A::Status))
                    .col(text(A::Prioridade))
                    .col(ColumnDef::new(A::PrioridadeRank).small_integer().not_null())
                    .col(big_null(A::TempoPrimeiraRespostaSegundos))
                    .col(big_null(A::TempoTotalAtendimentoSegundos))
                    .col(big(A::TotalMensagensCliente))
                    .col(big(A::TotalMensagensAtendente))
                    .col(ColumnDef::new(A::Avaliacao).integer().null())
                    .col(text(A::ComentarioAvaliacao))
                    .col(text(A::Observacoes))
                    .col(timestamp(A::CriadoEm))
                    .col(ts_null(A::IniciadoEm))
                    .col(ts_null(A::PrimeiraRespostaEm))
                    .col(ts_null(A::FinalizadoEm))
                    .col(timestamp(A::AtualizadoEm))
                    .col(timestamp(A::JanelaDesde))
                    .col(big(A::TotalMensagens))
                    .col(big(A::MensagensNaoLidas))
                    .col(ColumnDef::new(A::UltimaMensagemTexto).text().null())
                    .col(ts_null(A::UltimaMensagemEm))
                    .col(ColumnDef::new(A::UltimaMensagemTipo).text().null())
                    .col(ColumnDef::new(A::UltimaMensagemDirecao).text().null())
                    .col(
                        ColumnDef::new(A::AutoEncerrado)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(text(A::MensagemInicial))
                    .col(big_null(A::TempoEsperaSegundos))
                    .col(ColumnDef::new(A::CriadoDia).string_len(10).not_null())
                    .col(ts_null(A::ForaExpedienteAvisadoEm))
                    .col(ts_null(A::PesquisaEnviadaEm))
                    .foreign_key(&mut fk(
                        "fk_atendimentos_departamento",
                        (A::Table, A::DepartamentoId),
                        (D::Table, D::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_atendimentos_cliente",
                        (A::Table, A::ClienteId),
                        (Clientes::Table, Clientes::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_atendimentos_atendente",
                        (A::Table, A::AtendenteId),
                        (Agents::Table, Agents::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(id(T::Id))
                    .col(ColumnDef::new(T::AtendimentoId).big_integer().not_null())
                    .col(big_null(T::AtendenteOrigemId))
                    .col(big_null(T::AtendenteDestinoId))
                    .col(big_null(T::DepartamentoOrigemId))
                    .col(big_null(T::DepartamentoDestinoId))
                    .col(text(T::Motivo))
                    .col(boolean(T::Aceito))
                    .col(ts_null(T::AceitoEm))
                    .col(timestamp(T::CriadoEm))
                    .foreign_key(&mut fk(
                        "fk_transferencias_atendimento",
                        (T::Table, T::AtendimentoId),
                        (A::Table, A::Id),
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_transferencias_origem",
                        (T::Table, T::AtendenteOrigemId),
                        (Agents::Table, Agents::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_transferencias_destino",
                        (T::Table, T::AtendenteDestinoId),
                        (Agents::Table, Agents::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_transferencias_dep_origem",
                        (T::Table, T::DepartamentoOrigemId),
                        (D::Table, D::Id),
                        SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_transferencias_dep_destino",
                        (T::Table, T::DepartamentoDestinoId),
                        (D::Table, D::Id),
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Automacoes::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Automacoes::Id)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(boolean(Automacoes::Saudacao))
                    .col(boolean(Automacoes::ForaExpediente))
                    .col(boolean(Automacoes::Encerramento))
                    .col(boolean(Automacoes::Inatividade))
                    .col(boolean(Automacoes::PesquisaSatisfacao))
                    .col(text(Automacoes::PesquisaSatisfacaoMensagem))
                    .col(timestamp(Automacoes::AtualizadoEm))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_atendimentos_chat_open ON atendimentos (chat_id) \
             WHERE status IN ('aguardando', 'em_atendimento', 'pausado')",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_chat ON atendimentos (chat_id, criado_em)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_atendente ON atendimentos (atendente_id, status)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_status ON atendimentos (status, ultima_mensagem_em)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_departamento ON atendimentos (departamento_id, status)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_criado ON atendimentos (criado_em)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_dia ON atendimentos (criado_dia)",
            "CREATE INDEX IF NOT EXISTS ix_atendimentos_idle ON atendimentos (atualizado_em) \
             WHERE status = 'em_atendimento'",
            "CREATE INDEX IF NOT EXISTS ix_filas_pending ON filas_atendimento \
             (departamento_id, prioridade_rank DESC, entrou_na_fila_em, id) WHERE atribuido_em IS NULL",
            "CREATE INDEX IF NOT EXISTS ix_filas_chat ON filas_atendimento (chat_id)",
            "CREATE INDEX IF NOT EXISTS ix_departamento_atendentes_agent ON departamento_atendentes (agent_id)",
            "CREATE INDEX IF NOT EXISTS ix_transferencias_atendimento ON transferencias (atendimento_id)",
            "CREATE INDEX IF NOT EXISTS ix_clientes_telefone ON clientes (telefone_principal)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Automacoes::Table.into_iden(),
            Transferencias::Table.into_iden(),
            Atendimentos::Table.into_iden(),
            FilasAtendimento::Table.into_iden(),
            DepartamentoAtendentes::Table.into_iden(),
            Departamentos::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

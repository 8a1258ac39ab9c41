//! Presence, typing indicators and notification preferences (contract §3 Presence and
//! Preferencias, §4.8).
//!
//! - One presence row per agent and one preferences row per agent (unique constraints, declared
//!   in `CREATE TABLE`): racing get-or-creates insert one row (`ON CONFLICT DO NOTHING`).
//! - One typing indicator per (agent, chat_id).
//! - An index on (`status`, `last_heartbeat`) serves the presence timeout's scan.
//! - Every row belongs to an agent and goes with it (`ON DELETE CASCADE`).

use crate::m20261126_000001_foundation::{boolean, id, text, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AgentPresence {
    Table,
    Id,
    AgentId,
    Status,
    StatusMessage,
    LastHeartbeat,
    WebsocketConnected,
    StatusChangedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TypingIndicators {
    Table,
    Id,
    AgentId,
    ChatId,
    IsTyping,
    StartedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PreferenciasNotificacao {
    Table,
    Id,
    UsuarioId,
    SomNovaMensagem,
    SomNovoAtendimento,
    SomTransferencia,
    DesktopNovaMensagem,
    DesktopNovoAtendimento,
    DesktopTransferencia,
    MostrarBadgeMensagens,
    MostrarBadgeAtendimentos,
    ModoNaoPerturbe,
    NaoPerturbeInicio,
    NaoPerturbeFim,
    CriadoEm,
    AtualizadoEm,
}

fn owner<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn flag<T: IntoIden>(col: T, default: bool) -> ColumnDef {
    boolean(col).default(default).to_owned()
}

fn time_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).time().null().to_owned()
}

fn cascade_to_agent(
    name: &str,
    table: impl IntoIden + 'static,
    col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Agents::Table, Agents::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A unique constraint declared inside `CREATE TABLE`: a SQLite connection that knows the
/// table knows the constraint too (an index created by a later statement may be missing from
/// the schema another pooled connection cached meanwhile, and `ON CONFLICT (…)` would not find
/// it).
fn unique(name: &str, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).unique();
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AgentPresence as P;
        use PreferenciasNotificacao as N;
        use TypingIndicators as T;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(id(P::Id))
                    .col(owner(P::AgentId))
                    .col(text(P::Status).default("offline").to_owned())
                    .col(
                        ColumnDef::new(P::StatusMessage)
                            .string_len(255)
                            .not_null()
                            .default("")
                            .to_owned(),
                    )
                    .col(timestamp(P::LastHeartbeat))
                    .col(flag(P::WebsocketConnected, false))
                    .col(timestamp(P::StatusChangedAt))
                    .col(timestamp(P::UpdatedAt))
                    .index(&mut unique(
                        "ux_agent_presence_agent",
                        vec![P::AgentId.into_iden()],
                    ))
                    .foreign_key(&mut cascade_to_agent(
                        "fk_agent_presence_agent",
                        P::Table,
                        P::AgentId,
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
                    .col(owner(T::AgentId))
                    .col(text(T::ChatId))
                    .col(flag(T::IsTyping, true))
                    .col(timestamp(T::StartedAt))
                    .col(timestamp(T::UpdatedAt))
                    .index(&mut unique(
                        "ux_typing_indicators_agent_chat",
                        vec![T::AgentId.into_iden(), T::ChatId.into_iden()],
                    ))
                    .foreign_key(&mut cascade_to_agent(
                        "fk_typing_indicators_agent",
                        T::Table,
                        T::AgentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .if_not_exists()
                    .col(id(N::Id))
                    .col(owner(N::UsuarioId))
                    .col(flag(N::SomNovaMensagem, true))
                    .col(flag(N::SomNovoAtendimento, true))
                    .col(flag(N::SomTransferencia, true))
                    .col(flag(N::DesktopNovaMensagem, true))
                    .col(flag(N::DesktopNovoAtendimento, true))
                    .col(flag(N::DesktopTransferencia, true))
                    .col(flag(N::MostrarBadgeMensagens, true))
                    .col(flag(N::MostrarBadgeAtendimentos, true))
                    .col(flag(N::ModoNaoPerturbe, false))
                    .col(time_null(N::NaoPerturbeInicio))
                    .col(time_null(N::NaoPerturbeFim))
                    .col(timestamp(N::CriadoEm))
                    .col(timestamp(N::AtualizadoEm))
                    .index(&mut unique(
                        "ux_preferencias_notificacao_usuario",
                        vec![N::UsuarioId.into_iden()],
                    ))
                    .foreign_key(&mut cascade_to_agent(
                        "fk_preferencias_notificacao_usuario",
                        N::Table,
                        N::UsuarioId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agent_presence_heartbeat")
                    .table(P::Table)
                    .if_not_exists()
                    .col(P::Status)
                    .col(P::LastHeartbeat)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PreferenciasNotificacao::Table.into_iden(),
            TypingIndicators::Table.into_iden(),
            AgentPresence::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

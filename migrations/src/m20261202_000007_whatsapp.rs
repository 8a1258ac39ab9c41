//! WhatsApp sessions and messages (contract §3, §4.5).
//!
//! - One active session per user: a partial unique index on `usuario_id WHERE is_active`.
//! - `message_id` is unique: concurrent deliveries of one inbound id store one row.
//! - The outbox: queued outbound messages carry `attempts`, `next_attempt_at` and
//!   `lease_until`; a partial index over `status = 'queued'` keeps the sender's scan small.
//! - JSON columns (`payload`, `raw_payload`, `session_data`) are text, as elsewhere.

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
enum WhatsappSessions {
    Table,
    Id,
    UsuarioId,
    Status,
    DeviceName,
    PhoneNumber,
    QrCode,
    CreatedAt,
    UpdatedAt,
    ConnectedAt,
    DisconnectedAt,
    LastError,
    ErrorCount,
    IsActive,
    TotalMessagesSent,
    TotalMessagesReceived,
    LastMessageAt,
    SessionData,
    AutoReconnect,
    ProxyEnabled,
    ProxyUrl,
    ReconnectAttempts,
    LastReconnectAt,
}

#[derive(DeriveIden)]
enum WhatsappMessages {
    Table,
    Id,
    SessionId,
    UsuarioId,
    MessageId,
    ClientMessageId,
    ProviderMessageId,
    Direction,
    MessageType,
    ChatId,
    ContactNumber,
    ContactName,
    TextContent,
    MediaUrl,
    MediaMimeType,
    MediaSize,
    Payload,
    RawPayload,
    ProtocolVersion,
    Status,
    CreatedAt,
    QueuedAt,
    SentAt,
    DeliveredAt,
    ReadAt,
    ErrorMessage,
    IsFromMe,
    LatencyToSentMs,
    LatencyToDeliveredMs,
    LatencyToReadMs,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
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

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappMessages as M;
        use WhatsappSessions as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .if_not_exists()
                    .col(id(S::Id))
                    .col(ColumnDef::new(S::UsuarioId).big_integer().not_null())
                    .col(text(S::Status))
                    .col(text(S::DeviceName))
                    .col(text(S::PhoneNumber))
                    .col(text(S::QrCode))
                    .col(timestamp(S::CreatedAt))
                    .col(timestamp(S::UpdatedAt))
                    .col(ts_null(S::ConnectedAt))
                    .col(ts_null(S::DisconnectedAt))
                    .col(text(S::LastError))
                    .col(big(S::ErrorCount))
                    .col(boolean(S::IsActive))
                    .col(big(S::TotalMessagesSent))
                    .col(big(S::TotalMessagesReceived))
                    .col(ts_null(S::LastMessageAt))
                    .col(text(S::SessionData))
                    .col(boolean(S::AutoReconnect))
                    .col(boolean(S::ProxyEnabled))
                    .col(text(S::ProxyUrl))
                    .col(big(S::ReconnectAttempts))
                    .col(ts_null(S::LastReconnectAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_sessions_usuario")
                            .from(S::Table, S::UsuarioId)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .if_not_exists()
                    .col(id(M::Id))
                    .col(ColumnDef::new(M::SessionId).big_integer().not_null())
                    .col(ColumnDef::new(M::UsuarioId).big_integer().not_null())
                    .col(text(M::MessageId))
                    .col(text(M::ClientMessageId))
                    .col(ColumnDef::new(M::ProviderMessageId).text().null())
                    .col(text(M::Direction))
                    .col(text(M::MessageType))
                    .col(text(M::ChatId))
                    .col(text(M::ContactNumber))
                    .col(text(M::ContactName))
                    .col(text(M::TextContent))
                    .col(text(M::MediaUrl))
                    .col(text(M::MediaMimeType))
                    .col(big_null(M::MediaSize))
                    .col(text(M::Payload))
                    .col(text(M::RawPayload))
                    .col(text(M::ProtocolVersion))
                    .col(text(M::Status))
                    .col(timestamp(M::CreatedAt))
                    .col(timestamp(M::QueuedAt))
                    .col(ts_null(M::SentAt))
                    .col(ts_null(M::DeliveredAt))
                    .col(ts_null(M::ReadAt))
                    .col(text(M::ErrorMessage))
                    .col(boolean(M::IsFromMe))
                    .col(big_null(M::LatencyToSentMs))
                    .col(big_null(M::LatencyToDeliveredMs))
                    .col(big_null(M::LatencyToReadMs))
                    .col(big(M::Attempts))
                    .col(ts_null(M::NextAttemptAt))
                    .col(ts_null(M::LeaseUntil))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_messages_session")
                            .from(M::Table, M::SessionId)
                            .to(S::Table, S::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_whatsapp_messages_usuario")
                            .from(M::Table, M::UsuarioId)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let i = |c: S| c.into_iden();
        let m = |c: M| c.into_iden();
        for stmt in [
            index(
                "ix_whatsapp_sessions_usuario",
                S::Table,
                vec![i(S::UsuarioId), i(S::UpdatedAt)],
                false,
            ),
            index(
                "ix_whatsapp_sessions_updated",
                S::Table,
                vec![i(S::UpdatedAt)],
                false,
            ),
            index(
                "ux_whatsapp_messages_message_id",
                M::Table,
                vec![m(M::MessageId)],
                true,
            ),
            index(
                "ix_whatsapp_messages_provider",
                M::Table,
                vec![m(M::ProviderMessageId)],
                false,
            ),
            index(
                "ix_whatsapp_messages_usuario",
                M::Table,
                vec![m(M::UsuarioId), m(M::CreatedAt)],
                false,
            ),
            index(
                "ix_whatsapp_messages_session",
                M::Table,
                vec![m(M::SessionId), m(M::CreatedAt)],
                false,
            ),
            index(
                "ix_whatsapp_messages_created",
                M::Table,
                vec![m(M::CreatedAt)],
                false,
            ),
            index(
                "ix_whatsapp_messages_chat",
                M::Table,
                vec![m(M::ChatId), m(M::CreatedAt)],
                false,
            ),
        ] {
            manager.create_index(stmt).await?;
        }
        // Partial indexes: the same SQL on SQLite and PostgreSQL.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_whatsapp_sessions_active \
             ON whatsapp_sessions (usuario_id) WHERE is_active",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_whatsapp_sessions_ready \
             ON whatsapp_sessions (updated_at) WHERE is_active AND status = 'ready'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_whatsapp_messages_outbox \
             ON whatsapp_messages (next_attempt_at) WHERE status = 'queued'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(WhatsappMessages::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(WhatsappSessions::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

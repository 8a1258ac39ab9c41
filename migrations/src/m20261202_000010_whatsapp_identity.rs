//! One identity per customer, and inbound media in file storage (issue 11).
//!
//! - `whatsapp_messages.peer_id`: the gateway's own id of the customer on an inbound message
//!   (an Evolution `…@lid` id, a Meta business-scoped user id), when it gave one. Indexed
//!   with `created_at`: "the number this peer was last seen with" is one index probe, and so
//!   is the chat intake's match on it.
//! - An index on `media_url`: a stored media file (`/media/whatsapp/media/…`) is served only
//!   while a message names it, one probe per request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WhatsappMessages {
    Table,
    PeerId,
    CreatedAt,
    MediaUrl,
}

const PEER_INDEX: &str = "ix_whatsapp_messages_peer";
const MEDIA_INDEX: &str = "ix_whatsapp_messages_media_url";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappMessages as M;
        manager
            .alter_table(
                Table::alter()
                    .table(M::Table)
                    .add_column(ColumnDef::new(M::PeerId).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(PEER_INDEX)
                    .table(M::Table)
                    .col(M::PeerId)
                    .col(M::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(MEDIA_INDEX)
                    .table(M::Table)
                    .col(M::MediaUrl)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappMessages as M;
        for name in [MEDIA_INDEX, PEER_INDEX] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(M::Table)
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(M::Table)
                    .drop_column(M::PeerId)
                    .to_owned(),
            )
            .await
    }
}

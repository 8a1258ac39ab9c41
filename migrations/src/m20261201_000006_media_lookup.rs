//! Indexes for serving customer files under `/media/`: a request for a stored path is allowed
//! only when that path is the file of an active documento, or the logo or signature image of
//! a cliente, within the caller's scope. Each lookup is one index probe.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Documentos {
    Table,
    Arquivo,
}

#[derive(DeriveIden)]
enum Clientes {
    Table,
    Logo,
    AssinaturaDigital,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_documentos_arquivo")
                    .table(Documentos::Table)
                    .col(Documentos::Arquivo)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_clientes_logo")
                    .table(Clientes::Table)
                    .col(Clientes::Logo)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_clientes_assinatura_digital")
                    .table(Clientes::Table)
                    .col(Clientes::AssinaturaDigital)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ix_documentos_arquivo", Documentos::Table.into_iden()),
            ("ix_clientes_logo", Clientes::Table.into_iden()),
            (
                "ix_clientes_assinatura_digital",
                Clientes::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

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

fn indexes() -> [(&'static str, DynIden, DynIden); 3] {
    [
        (
            "ix_documentos_arquivo",
            Documentos::Table.into_iden(),
            Documentos::Arquivo.into_iden(),
        ),
        (
            "ix_clientes_logo",
            Clientes::Table.into_iden(),
            Clientes::Logo.into_iden(),
        ),
        (
            "ix_clientes_assinatura_digital",
            Clientes::Table.into_iden(),
            Clientes::AssinaturaDigital.into_iden(),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in indexes() {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

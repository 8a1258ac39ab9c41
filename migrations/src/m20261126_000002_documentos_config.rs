//! Documentos de clientes and the single configuration row.
//!
//! `documentos` keeps lowercase shadow copies of the searchable text columns (`*_busca`),
//! written by the repository, because SQLite's `LOWER()` only folds ASCII and the contract's
//! case-insensitive search must also fold accented letters (`"PRESTAÇÃO"` ~ `"prestação"`).

use sea_orm_migration::prelude::*;

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
enum Documentos {
    Table,
    Id,
    ClienteId,
    Nome,
    TipoDocumento,
    Status,
    Origem,
    Arquivo,
    Descricao,
    TemplateUsado,
    DadosPreenchidos,
    DataVencimento,
    DataUpload,
    UsuarioUploadId,
    Ativo,
    NomeBusca,
    DescricaoBusca,
    TemplateUsadoBusca,
}

#[derive(DeriveIden)]
enum AppConfig {
    Table,
    Id,
    CompanyData,
    ChatSettings,
    EmailSettings,
    Appearance,
    Whatsapp,
    DocumentTemplates,
    CreatedAt,
    UpdatedAt,
}

fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn text_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

fn string<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

fn string_null<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().to_owned()
}

fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn documentos_index(name: &str, cols: Vec<Documentos>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Documentos::Table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Documentos as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(
                        ColumnDef::new(D::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(D::ClienteId).big_integer().not_null())
                    .col(string(D::Nome, 255))
                    .col(string(D::TipoDocumento, 20))
                    .col(string(D::Status, 20))
                    .col(string(D::Origem, 20))
                    .col(text(D::Arquivo))
                    .col(text_null(D::Descricao))
                    .col(string_null(D::TemplateUsado, 100))
                    // JSON object as text: identical on SQLite and PostgreSQL.
                    .col(text(D::DadosPreenchidos))
                    .col(ColumnDef::new(D::DataVencimento).date().null())
                    .col(timestamp(D::DataUpload))
                    .col(ColumnDef::new(D::UsuarioUploadId).big_integer().null())
                    .col(ColumnDef::new(D::Ativo).boolean().not_null())
                    .col(text(D::NomeBusca))
                    .col(text_null(D::DescricaoBusca))
                    .col(text_null(D::TemplateUsadoBusca))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documentos_cliente")
                            .from(D::Table, D::ClienteId)
                            .to(Clientes::Table, Clientes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documentos_usuario_upload")
                            .from(D::Table, D::UsuarioUploadId)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            // Default list ordering (`-data_upload`) under the `ativo` base scope.
            (
                "ix_documentos_ativo_data_upload",
                vec![D::Ativo, D::DataUpload, D::Id],
            ),
            ("ix_documentos_ativo_nome", vec![D::Ativo, D::Nome, D::Id]),
            (
                "ix_documentos_ativo_status",
                vec![D::Ativo, D::Status, D::Id],
            ),
            // `?cliente=` filter, the cascade from clientes and the owner scope's semi-join.
            (
                "ix_documentos_cliente",
                vec![D::ClienteId, D::DataUpload, D::Id],
            ),
            (
                "ix_documentos_data_vencimento",
                vec![D::DataVencimento, D::Id],
            ),
            ("ix_documentos_tipo", vec![D::TipoDocumento]),
            // The `SET NULL` when an agent is deleted.
            ("ix_documentos_usuario_upload", vec![D::UsuarioUploadId]),
        ];
        for (name, cols) in indexes {
            manager.create_index(documentos_index(name, cols)).await?;
        }

        use AppConfig as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).big_integer().not_null().primary_key())
                    .col(text(A::CompanyData))
                    .col(text(A::ChatSettings))
                    .col(text(A::EmailSettings))
                    .col(text(A::Appearance))
                    .col(text(A::Whatsapp))
                    .col(text(A::DocumentTemplates))
                    .col(timestamp(A::CreatedAt))
                    .col(timestamp(A::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AppConfig::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Documentos::Table).to_owned())
            .await
    }
}

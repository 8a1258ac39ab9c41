//! Foundation schema: agents and permission groups, grupos de empresa, clientes, contatos and
//! the key/value application settings.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
    Username,
    Email,
    DisplayName,
    PhoneNumber,
    IsActive,
    IsSuperuser,
    PasswordHash,
    CriadoEm,
}

#[derive(DeriveIden)]
enum AuthGroups {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum AuthGroupPermissions {
    Table,
    GroupId,
    PermissionId,
}

#[derive(DeriveIden)]
enum AgentGroups {
    Table,
    AgentId,
    GroupId,
}

#[derive(DeriveIden)]
enum GruposEmpresa {
    Table,
    Id,
    Nome,
    Descricao,
    Ativo,
    CriadoEm,
    AtualizadoEm,
}

#[derive(DeriveIden)]
enum Clientes {
    Table,
    Id,
    GrupoEmpresaId,
    RazaoSocial,
    NomeFantasia,
    Cnpj,
    InscricaoEstadual,
    InscricaoMunicipal,
    RamoAtividade,
    RegimeTributario,
    ResponsavelLegalNome,
    ResponsavelLegalCpf,
    ResponsavelLegalCargo,
    EmailPrincipal,
    TelefonePrincipal,
    Endereco,
    Numero,
    Complemento,
    Bairro,
    Cidade,
    Estado,
    Cep,
    Logo,
    AssinaturaDigital,
    Status,
    Observacoes,
    SearchText,
    CriadoEm,
    AtualizadoEm,
    CriadoPor,
    AtualizadoPor,
}

#[derive(DeriveIden)]
enum Contatos {
    Table,
    Id,
    ClienteId,
    Nome,
    Cargo,
    Whatsapp,
    Email,
    Ativo,
    CriadoEm,
    AtualizadoEm,
}

#[derive(DeriveIden)]
enum AppSettings {
    Table,
    Key,
    Value,
}

pub(crate) fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub(crate) fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

pub(crate) fn text_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

pub(crate) fn string<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

pub(crate) fn string_null<T: IntoIden>(col: T, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).null().to_owned()
}

pub(crate) fn boolean<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).boolean().not_null().to_owned()
}

pub(crate) fn timestamp<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn clientes_index(name: &str, cols: Vec<Clientes>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(Clientes::Table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // --- authz ---
        manager
            .create_table(
                Table::create()
                    .table(Agents::Table)
                    .col(id(Agents::Id))
                    .col(string(Agents::Username, 150))
                    .col(text(Agents::Email))
                    .col(string(Agents::DisplayName, 150))
                    .col(string(Agents::PhoneNumber, 30))
                    .col(boolean(Agents::IsActive))
                    .col(boolean(Agents::IsSuperuser))
                    .col(text(Agents::PasswordHash))
                    .col(timestamp(Agents::CriadoEm))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_agents_username")
                    .table(Agents::Table)
                    .col(Agents::Username)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthGroups::Table)
                    .col(id(AuthGroups::Id))
                    .col(string(AuthGroups::Name, 150))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_auth_groups_name")
                    .table(AuthGroups::Table)
                    .col(AuthGroups::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthGroupPermissions::Table)
                    .col(
                        ColumnDef::new(AuthGroupPermissions::GroupId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuthGroupPermissions::PermissionId)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AuthGroupPermissions::GroupId)
                            .col(AuthGroupPermissions::PermissionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auth_group_permissions_group")
                            .from(AuthGroupPermissions::Table, AuthGroupPermissions::GroupId)
                            .to(AuthGroups::Table, AuthGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgentGroups::Table)
                    .col(
                        ColumnDef::new(AgentGroups::AgentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AgentGroups::GroupId)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AgentGroups::AgentId)
                            .col(AgentGroups::GroupId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_groups_agent")
                            .from(AgentGroups::Table, AgentGroups::AgentId)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_groups_group")
                            .from(AgentGroups::Table, AgentGroups::GroupId)
                            .to(AuthGroups::Table, AuthGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agent_groups_group")
                    .table(AgentGroups::Table)
                    .col(AgentGroups::GroupId)
                    .to_owned(),
            )
            .await?;

        // --- grupos de empresa ---
        manager
            .create_table(
                Table::create()
                    .table(GruposEmpresa::Table)
                    .col(id(GruposEmpresa::Id))
                    .col(string(GruposEmpresa::Nome, 255))
                    .col(text_null(GruposEmpresa::Descricao))
                    .col(boolean(GruposEmpresa::Ativo))
                    .col(timestamp(GruposEmpresa::CriadoEm))
                    .col(timestamp(GruposEmpresa::AtualizadoEm))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grupos_empresa_nome")
                    .table(GruposEmpresa::Table)
                    .col(GruposEmpresa::Nome)
                    .col(GruposEmpresa::Id)
                    .to_owned(),
            )
            .await?;

        // --- clientes ---
        manager
            .create_table(
                Table::create()
                    .table(Clientes::Table)
                    .col(id(Clientes::Id))
                    .col(
                        ColumnDef::new(Clientes::GrupoEmpresaId)
                            .big_integer()
                            .null(),
                    )
                    .col(string(Clientes::RazaoSocial, 255))
                    .col(string_null(Clientes::NomeFantasia, 255))
                    .col(string(Clientes::Cnpj, 20))
                    .col(string_null(Clientes::InscricaoEstadual, 20))
                    .col(string_null(Clientes::InscricaoMunicipal, 20))
                    .col(string_null(Clientes::RamoAtividade, 255))
                    .col(string(Clientes::RegimeTributario, 30))
                    .col(string(Clientes::ResponsavelLegalNome, 255))
                    .col(string(Clientes::ResponsavelLegalCpf, 20))
                    .col(string_null(Clientes::ResponsavelLegalCargo, 100))
                    .col(text_null(Clientes::EmailPrincipal))
                    .col(string_null(Clientes::TelefonePrincipal, 20))
                    .col(text_null(Clientes::Endereco))
                    .col(string_null(Clientes::Numero, 10))
                    .col(string_null(Clientes::Complemento, 100))
                    .col(string_null(Clientes::Bairro, 100))
                    .col(string_null(Clientes::Cidade, 100))
                    .col(string_null(Clientes::Estado, 2))
                    .col(string_null(Clientes::Cep, 9))
                    .col(text_null(Clientes::Logo))
                    .col(text_null(Clientes::AssinaturaDigital))
                    .col(string(Clientes::Status, 20))
                    .col(text_null(Clientes::Observacoes))
                    .col(text(Clientes::SearchText))
                    .col(timestamp(Clientes::CriadoEm))
                    .col(timestamp(Clientes::AtualizadoEm))
                    .col(ColumnDef::new(Clientes::CriadoPor).big_integer().null())
                    .col(ColumnDef::new(Clientes::AtualizadoPor).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_clientes_grupo_empresa")
                            .from(Clientes::Table, Clientes::GrupoEmpresaId)
                            .to(GruposEmpresa::Table, GruposEmpresa::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_clientes_criado_por")
                            .from(Clientes::Table, Clientes::CriadoPor)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_clientes_atualizado_por")
                            .from(Clientes::Table, Clientes::AtualizadoPor)
                            .to(Agents::Table, Agents::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_clientes_cnpj")
                    .table(Clientes::Table)
                    .col(Clientes::Cnpj)
                    .unique()
                    .to_owned(),
            )
            .await?;
        use Clientes as C;
        let clientes_indexes = [
            ("ix_clientes_criado_em", vec![C::CriadoEm, C::Id]),
            (
                "ix_clientes_criado_por",
                vec![C::CriadoPor, C::CriadoEm, C::Id],
            ),
            ("ix_clientes_status", vec![C::Status, C::CriadoEm, C::Id]),
            ("ix_clientes_status_id", vec![C::Status, C::Id]),
            ("ix_clientes_razao_social", vec![C::RazaoSocial, C::Id]),
            ("ix_clientes_atualizado_em", vec![C::AtualizadoEm, C::Id]),
            ("ix_clientes_cidade", vec![C::Cidade]),
            ("ix_clientes_estado", vec![C::Estado]),
            ("ix_clientes_grupo_empresa", vec![C::GrupoEmpresaId]),
            ("ix_clientes_atualizado_por", vec![C::AtualizadoPor]),
        ];
        for (name, cols) in clientes_indexes {
            manager.create_index(clientes_index(name, cols)).await?;
        }

        // --- contatos ---
        manager
            .create_table(
                Table::create()
                    .table(Contatos::Table)
                    .col(id(Contatos::Id))
                    .col(ColumnDef::new(Contatos::ClienteId).big_integer().not_null())
                    .col(string(Contatos::Nome, 255))
                    .col(string_null(Contatos::Cargo, 100))
                    .col(string(Contatos::Whatsapp, 20))
                    .col(text_null(Contatos::Email))
                    .col(boolean(Contatos::Ativo))
                    .col(timestamp(Contatos::CriadoEm))
                    .col(timestamp(Contatos::AtualizadoEm))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contatos_cliente")
                            .from(Contatos::Table, Contatos::ClienteId)
                            .to(Clientes::Table, Clientes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let contatos_indexes = [
            (
                "ux_contatos_cliente_whatsapp",
                vec![Contatos::ClienteId, Contatos::Whatsapp],
                true,
            ),
            ("ix_contatos_whatsapp", vec![Contatos::Whatsapp], false),
            (
                "ix_contatos_nome",
                vec![Contatos::Nome, Contatos::Id],
                false,
            ),
            (
                "ix_contatos_criado_em",
                vec![Contatos::CriadoEm, Contatos::Id],
                false,
            ),
        ];
        for (name, cols, unique) in contatos_indexes {
            let mut idx = Index::create();
            idx.name(name).table(Contatos::Table);
            for c in cols {
                idx.col(c);
            }
            if unique {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }

        // --- settings ---
        manager
            .create_table(
                Table::create()
                    .table(AppSettings::Table)
                    .col(
                        ColumnDef::new(AppSettings::Key)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(AppSettings::Value))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            AppSettings::Table.into_iden(),
            Contatos::Table.into_iden(),
            Clientes::Table.into_iden(),
            GruposEmpresa::Table.into_iden(),
            AgentGroups::Table.into_iden(),
            AuthGroupPermissions::Table.into_iden(),
            AuthGroups::Table.into_iden(),
            Agents::Table.into_iden(),
        ];
        for t in tables {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

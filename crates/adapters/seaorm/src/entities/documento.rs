use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "documentos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cliente_id: i64,
    pub nome: String,
    pub tipo_documento: String,
    pub status: String,
    pub origem: String,
    pub arquivo: String,
    pub descricao: Option<String>,
    pub template_usado: Option<String>,
    /// JSON object serialised as text.
    pub dados_preenchidos: String,
    pub data_vencimento: Option<Date>,
    pub data_upload: DateTimeUtc,
    pub usuario_upload_id: Option<i64>,
    pub ativo: bool,
    /// Lowercase (Unicode) copy of `nome`, for case-insensitive filters and search.
    pub nome_busca: String,
    /// Lowercase copy of `descricao`.
    pub descricao_busca: Option<String>,
    /// Lowercase copy of `template_usado`.
    pub template_usado_busca: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cliente::Entity",
        from = "Column::ClienteId",
        to = "super::cliente::Column::Id",
        on_delete = "Cascade"
    )]
    Cliente,
    #[sea_orm(
        belongs_to = "super::agent::Entity",
        from = "Column::UsuarioUploadId",
        to = "super::agent::Column::Id",
        on_delete = "SetNull"
    )]
    UsuarioUpload,
}

impl Related<super::cliente::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cliente.def()
    }
}

impl Related<super::agent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UsuarioUpload.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

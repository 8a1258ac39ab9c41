use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "grupos_empresa")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: bool,
    pub criado_em: DateTimeUtc,
    pub atualizado_em: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

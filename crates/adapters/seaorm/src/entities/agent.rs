use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub password_hash: String,
    pub criado_em: DateTimeUtc,
    /// Tokens with an `iat` before this Unix second are refused (0 = none).
    pub tokens_not_before: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

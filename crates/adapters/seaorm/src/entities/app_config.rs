use sea_orm::entity::prelude::*;

/// The single configuration row; every section is a JSON object serialised as text.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "app_config")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub company_data: String,
    pub chat_settings: String,
    pub email_settings: String,
    pub appearance: String,
    pub whatsapp: String,
    pub document_templates: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contatos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cliente_id: i64,
    pub nome: String,
    pub cargo: Option<String>,
    pub whatsapp: String,
    pub email: Option<String>,
    pub ativo: bool,
    pub criado_em: DateTimeUtc,
    pub atualizado_em: DateTimeUtc,
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
}

impl Related<super::cliente::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cliente.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

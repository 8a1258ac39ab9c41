use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clientes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub grupo_empresa_id: Option<i64>,
    pub razao_social: String,
    pub nome_fantasia: Option<String>,
    pub cnpj: String,
    pub inscricao_estadual: Option<String>,
    pub inscricao_municipal: Option<String>,
    pub ramo_atividade: Option<String>,
    pub regime_tributario: String,
    pub responsavel_legal_nome: String,
    pub responsavel_legal_cpf: String,
    pub responsavel_legal_cargo: Option<String>,
    pub email_principal: Option<String>,
    pub telefone_principal: Option<String>,
    pub endereco: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub estado: Option<String>,
    pub cep: Option<String>,
    pub logo: Option<String>,
    pub assinatura_digital: Option<String>,
    pub status: String,
    pub observacoes: Option<String>,
    pub search_text: String,
    pub criado_em: DateTimeUtc,
    pub atualizado_em: DateTimeUtc,
    pub criado_por: Option<i64>,
    pub atualizado_por: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::grupo_empresa::Entity",
        from = "Column::GrupoEmpresaId",
        to = "super::grupo_empresa::Column::Id",
        on_delete = "SetNull"
    )]
    GrupoEmpresa,
}

impl Related<super::grupo_empresa::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::GrupoEmpresa.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

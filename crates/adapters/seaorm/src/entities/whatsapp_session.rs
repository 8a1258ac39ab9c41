use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub usuario_id: i64,
    pub status: String,
    pub device_name: String,
    pub phone_number: String,
    pub qr_code: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub connected_at: Option<DateTimeUtc>,
    pub disconnected_at: Option<DateTimeUtc>,
    pub last_error: String,
    pub error_count: i64,
    pub is_active: bool,
    pub total_messages_sent: i64,
    pub total_messages_received: i64,
    pub last_message_at: Option<DateTimeUtc>,
    pub session_data: String,
    pub auto_reconnect: bool,
    pub proxy_enabled: bool,
    pub proxy_url: String,
    pub reconnect_attempts: i64,
    pub last_reconnect_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

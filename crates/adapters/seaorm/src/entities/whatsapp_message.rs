use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub usuario_id: i64,
    pub message_id: String,
    pub client_message_id: String,
    pub provider_message_id: Option<String>,
    pub direction: String,
    pub message_type: String,
    pub chat_id: String,
    pub contact_number: String,
    pub contact_name: String,
    pub text_content: String,
    pub media_url: String,
    pub media_mime_type: String,
    pub media_size: Option<i64>,
    pub payload: String,
    pub raw_payload: String,
    pub protocol_version: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub queued_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
    pub error_message: String,
    pub is_from_me: bool,
    pub latency_to_sent_ms: Option<i64>,
    pub latency_to_delivered_ms: Option<i64>,
    pub latency_to_read_ms: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub lease_until: Option<DateTimeUtc>,
    pub peer_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

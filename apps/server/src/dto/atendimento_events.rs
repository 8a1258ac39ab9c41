//! Schemas of the atendimento area's WebSocket events (contract §5.3 B and C), for the OpenAPI
//! document. The frames are built by `atendimento::events`; these types only describe them.
//! Recipients and examples: `docs/websocket.md`.
#![allow(dead_code)]

use utoipa::ToSchema;

/// Data of `chat_assigned`.
#[derive(ToSchema)]
pub struct ChatAssignedData {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    /// The department's name.
    pub departamento: String,
    pub prioridade: String,
    pub mensagem_inicial: String,
    /// UTC ISO-8601 with `+00:00`.
    pub timestamp: String,
}

/// `{"event":"chat_assigned","data":{…},"version":"v1"}` — to the assigned agent (`aceitar`,
/// `distribuir`).
#[derive(ToSchema)]
pub struct WsEventChatAssigned {
    #[schema(example = "chat_assigned")]
    pub event: String,
    pub data: ChatAssignedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `chat_transferred`.
#[derive(ToSchema)]
pub struct ChatTransferredData {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    /// The origin atendente's username, or `Sistema`.
    pub de: String,
    pub motivo: String,
    pub timestamp: String,
}

/// `{"event":"chat_transferred",…}` — to the destination agent.
#[derive(ToSchema)]
pub struct WsEventChatTransferred {
    #[schema(example = "chat_transferred")]
    pub event: String,
    pub data: ChatTransferredData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `chat_auto_closed`.
#[derive(ToSchema)]
pub struct ChatAutoClosedData {
    pub atendimento_id: i64,
    pub cliente_nome: String,
    pub chat_id: String,
    #[schema(example = "inatividade")]
    pub motivo: String,
    pub tempo_inativo_minutos: i64,
    pub timestamp: String,
}

/// `{"event":"chat_auto_closed",…}` — to the atendente of a chat closed for inactivity.
#[derive(ToSchema)]
pub struct WsEventChatAutoClosed {
    #[schema(example = "chat_auto_closed")]
    pub event: String,
    pub data: ChatAutoClosedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `chat_accepted`.
#[derive(ToSchema)]
pub struct ChatAcceptedData {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub atendente_id: Option<i64>,
    /// Display name.
    pub atendente_nome: Option<String>,
    #[schema(example = "em_atendimento")]
    pub status: String,
}

/// `{"event":"chat_accepted",…}` — to every authenticated socket.
#[derive(ToSchema)]
pub struct WsEventChatAccepted {
    #[schema(example = "chat_accepted")]
    pub event: String,
    pub data: ChatAcceptedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `chat_closed`.
#[derive(ToSchema)]
pub struct ChatClosedData {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub atendente_id: Option<i64>,
    /// UTC ISO-8601 with `+00:00`.
    pub finalizado_em: Option<String>,
}

/// `{"event":"chat_closed",…}` — to every authenticated socket.
#[derive(ToSchema)]
pub struct WsEventChatClosed {
    #[schema(example = "chat_closed")]
    pub event: String,
    pub data: ChatClosedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `new_chat`.
#[derive(ToSchema)]
pub struct NewChatData {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub numero_whatsapp: String,
    pub cliente_id: i64,
    pub cliente_nome: String,
    pub departamento_id: i64,
    pub departamento_nome: String,
    /// At most 200 characters.
    pub mensagem_inicial: String,
    /// São Paulo time with offset.
    pub criado_em: String,
    pub prioridade: String,
}

/// `{"event":"new_chat","play_sound":true,"data":{…}}` (no `version`) — to the department's
/// members, or to every authenticated socket when it has none.
#[derive(ToSchema)]
pub struct WsEventNewChat {
    #[schema(example = "new_chat")]
    pub event: String,
    pub play_sound: bool,
    pub data: NewChatData,
}

/// Data of `new_message`.
#[derive(ToSchema)]
pub struct NewMessageData {
    pub chat_id: String,
    pub atendimento_id: i64,
    pub message_id: String,
    /// At most 200 characters.
    pub texto: String,
    pub tipo: String,
    /// The contact's name, or number.
    pub de: String,
    pub criado_em: String,
}

/// `{"event":"new_message","play_sound":false,"data":{…}}` — to the chat's atendente.
#[derive(ToSchema)]
pub struct WsEventNewMessage {
    #[schema(example = "new_message")]
    pub event: String,
    pub play_sound: bool,
    pub data: NewMessageData,
}

//! Chat wire shapes (contract §3 ChatListItem, ChatDetail, ChatMessage; §4.6) and the parsing
//! of the chat endpoints' queries and bodies.

use super::atendimento::local;
use super::atendimento_form::{Query, choice, error, last, optional_text, validation};
use crate::http::ApiResult;
use atendimento::commands::{AceitarChat, ChatFilter, ChatSort, MessageWindow};
use atendimento::model::{Atendimento, ChatMessage, Prioridade, Status};
use chrono::{DateTime, SecondsFormat, Utc};
use kernel::clock::format_local;
use kernel::input::Input;
use kernel::{FieldErrors, messages as m};
use serde::Serialize;
use utoipa::ToSchema;
use whatsapp::{Direction, MessageStatus, MessageType};

/// **ChatListItem**: every key always present, nulls explicit.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatListItemOut {
    pub chat_id: String,
    pub numero_whatsapp: String,
    pub cliente_id: Option<i64>,
    pub cliente_nome: Option<String>,
    pub cliente_email: Option<String>,
    pub atendimento_id: i64,
    #[schema(value_type = String, example = "aguardando")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub prioridade: Prioridade,
    pub atendente_id: Option<i64>,
    /// The atendente's display name.
    pub atendente_nome: Option<String>,
    pub departamento_id: Option<i64>,
    pub departamento_nome: Option<String>,
    pub ultima_mensagem_texto: Option<String>,
    pub ultima_mensagem_em: Option<String>,
    pub ultima_mensagem_tipo: Option<String>,
    pub ultima_mensagem_direcao: Option<String>,
    pub total_mensagens: i64,
    pub mensagens_nao_lidas: i64,
    pub criado_em: String,
    pub atualizado_em: String,
}

impl From<&Atendimento> for ChatListItemOut {
    fn from(a: &Atendimento) -> Self {
        let last = a.ultima_mensagem.as_ref();
        Self {
            chat_id: a.chat_id.clone(),
            numero_whatsapp: a.numero_whatsapp.clone(),
            cliente_id: Some(a.cliente),
            cliente_nome: Some(a.cliente_nome.clone()),
            cliente_email: a.cliente_email.clone(),
            atendimento_id: a.id,
            status: a.status,
            prioridade: a.prioridade,
            atendente_id: a.atendente_id(),
            atendente_nome: a.atendente.as_ref().map(|x| x.display_name.clone()),
            departamento_id: Some(a.departamento),
            departamento_nome: Some(a.departamento_nome.clone()),
            ultima_mensagem_texto: last.map(|l| l.texto.clone()),
            ultima_mensagem_em: last.map(|l| format_local(l.em)),
            ultima_mensagem_tipo: last.map(|l| l.tipo.clone()),
            ultima_mensagem_direcao: last.map(|l| l.direcao.clone()),
            total_mensagens: a.total_mensagens,
            mensagens_nao_lidas: a.mensagens_nao_lidas,
            criado_em: format_local(a.criado_em),
            atualizado_em: format_local(a.atualizado_em),
        }
    }
}

/// **ChatDetail** (also the answer of `aceitar`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDetailOut {
    /// The atendimento's id.
    pub id: i64,
    pub chat_id: String,
    pub numero_whatsapp: String,
    #[schema(value_type = String, example = "em_atendimento")]
    pub status: Status,
    #[schema(value_type = String, example = "normal")]
    pub prioridade: Prioridade,
    pub cliente: i64,
    pub cliente_nome: String,
    pub cliente_email: Option<String>,
    pub cliente_telefone: Option<String>,
    pub atendente: Option<i64>,
    /// Display name.
    pub atendente_nome: Option<String>,
    pub atendente_username: Option<String>,
    pub departamento: i64,
    pub departamento_nome: String,
    pub departamento_cor: String,
    /// Whole minutes from `criado_em` to `finalizado_em` or now.
    pub duracao_minutos: i64,
    pub tempo_primeira_resposta_minutos: Option<i64>,
    pub total_mensagens_cliente: i64,
    pub total_mensagens_atendente: i64,
    pub total_mensagens: i64,
    pub mensagens_nao_lidas: i64,
    pub avaliacao: Option<i32>,
    pub comentario_avaliacao: String,
    pub observacoes: String,
    pub criado_em: String,
    pub iniciado_em: Option<String>,
    pub primeira_resposta_em: Option<String>,
    pub finalizado_em: Option<String>,
    pub atualizado_em: String,
}

impl ChatDetailOut {
    pub fn of(a: &Atendimento, now: DateTime<Utc>) -> Self {
        Self {
            id: a.id,
            chat_id: a.chat_id.clone(),
            numero_whatsapp: a.numero_whatsapp.clone(),
            status: a.status,
            prioridade: a.prioridade,
            cliente: a.cliente,
            cliente_nome: a.cliente_nome.clone(),
            cliente_email: a.cliente_email.clone(),
            cliente_telefone: a.cliente_telefone.clone(),
            atendente: a.atendente_id(),
            atendente_nome: a.atendente.as_ref().map(|x| x.display_name.clone()),
            atendente_username: a.atendente.as_ref().map(|x| x.username.clone()),
            departamento: a.departamento,
            departamento_nome: a.departamento_nome.clone(),
            departamento_cor: a.departamento_cor.clone(),
            duracao_minutos: a.chat_duracao_minutos(now),
            tempo_primeira_resposta_minutos: a.tempo_primeira_resposta_minutos(),
            total_mensagens_cliente: a.total_mensagens_cliente,
            total_mensagens_atendente: a.total_mensagens_atendente,
            total_mensagens: a.total_mensagens,
            mensagens_nao_lidas: a.mensagens_nao_lidas,
            avaliacao: a.avaliacao,
            comentario_avaliacao: a.comentario_avaliacao.clone(),
            observacoes: a.observacoes.clone(),
            criado_em: format_local(a.criado_em),
            iniciado_em: local(a.iniciado_em),
            primeira_resposta_em: local(a.primeira_resposta_em),
            finalizado_em: local(a.finalizado_em),
            atualizado_em: format_local(a.atualizado_em),
        }
    }
}

/// **ChatMessage**.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatMessageOut {
    pub id: i64,
    pub message_id: String,
    #[schema(value_type = String, example = "inbound")]
    pub direction: Direction,
    #[schema(value_type = String, example = "text")]
    pub message_type: MessageType,
    pub chat_id: String,
    pub contact_number: String,
    pub contact_name: String,
    pub text_content: String,
    pub media_url: String,
    pub media_mime_type: String,
    #[schema(value_type = String, example = "delivered")]
    pub status: MessageStatus,
    pub is_from_me: bool,
    /// Outbound: the sender's display name, else username, else `Sistema`; inbound: the
    /// contact's name or number.
    pub from_name: String,
    pub is_from_agent: bool,
    pub latency_ms: Option<i64>,
    pub is_latency_ok: bool,
    pub created_at: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
    pub delivered_at: Option<String>,
    pub read_at: Option<String>,
}

impl From<&ChatMessage> for ChatMessageOut {
    fn from(c: &ChatMessage) -> Self {
        let msg = &c.message;
        let from_name = match msg.direction {
            Direction::Outbound => c.from_name.clone(),
            Direction::Inbound if msg.contact_name.is_empty() => msg.contact_number.clone(),
            Direction::Inbound => msg.contact_name.clone(),
        };
        Self {
            id: msg.id,
            message_id: msg.message_id.clone(),
            direction: msg.direction,
            message_type: msg.message_type,
            chat_id: msg.chat_id.clone(),
            contact_number: msg.contact_number.clone(),
            contact_name: msg.contact_name.clone(),
            text_content: msg.text_content.clone(),
            media_url: msg.media_url.clone(),
            media_mime_type: msg.media_mime_type.clone(),
            status: msg.status,
            is_from_me: msg.is_from_me,
            from_name,
            is_from_agent: msg.direction == Direction::Outbound,
            latency_ms: msg.total_latency_ms(),
            is_latency_ok: msg.is_latency_acceptable(),
            created_at: format_local(msg.created_at),
            queued_at: format_local(msg.queued_at),
            sent_at: local(msg.sent_at),
            delivered_at: local(msg.delivered_at),
            read_at: local(msg.read_at),
        }
    }
}

/// `GET /chats/{chat_id}/messages/`: `{"total","limit","offset","results"}`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatMessagesOut {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub results: Vec<ChatMessageOut>,
}

/// Body of `aceitar`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AceitarIn {
    /// Default: the caller (only superusers may name someone else).
    pub atendente_id: Option<i64>,
    pub observacoes: Option<String>,
}

/// Body of `encerrar`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EncerrarIn {
    /// Replaces `observacoes` when non-empty.
    pub observacoes: Option<String>,
    /// Accepted (default true), without effect.
    pub solicitar_avaliacao: Option<bool>,
}

/// `atendente_destino` of the chat transfer answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DestinoOut {
    pub id: i64,
    /// Display name.
    pub nome: String,
}

/// Answer of `POST /chats/{chat_id}/transferir/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatTransferidoOut {
    #[schema(example = "Chat transferido com sucesso")]
    pub message: &'static str,
    pub transferencia_id: i64,
    pub atendente_destino: DestinoOut,
}

/// Answer of `POST /chats/{chat_id}/encerrar/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatEncerradoOut {
    #[schema(example = "Chat encerrado com sucesso")]
    pub message: &'static str,
    pub atendimento_id: i64,
    /// UTC, `…Z`.
    #[schema(example = "2025-10-12T13:18:45.481809Z")]
    pub finalizado_em: Option<String>,
}

/// `encerrar`'s `finalizado_em`: UTC ISO-8601 with microseconds and `Z`.
pub fn utc_z(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn int_param(q: &Query, key: &str, errors: &mut FieldErrors) -> Option<i64> {
    let v = last(q, key)?;
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(key, m::INTEGER);
            None
        }
    }
}

fn order(v: &str) -> Option<bool> {
    match v {
        "desc" => Some(true),
        "asc" => Some(false),
        _ => None,
    }
}

/// `GET /chats/`: `status`, `atendente`, `departamento`, `sort`, `order`, and the decided
/// extension `limit` (default 50, at most [`CHAT_PAGE_MAX`]) / `offset` (default 0): with
/// either, one page of the list; without both, the whole list.
pub fn chat_filter(q: &Query) -> ApiResult<ChatFilter> {
    let mut e = FieldErrors::new();
    let f = ChatFilter {
        status: choice(q, "status", Status::parse, &mut e),
        atendente: int_param(q, "atendente", &mut e),
        departamento: int_param(q, "departamento", &mut e),
        sort: choice(q, "sort", ChatSort::parse, &mut e).unwrap_or_default(),
        descending: choice(q, "order", order, &mut e).unwrap_or(true),
        scope: None,
        page: None,
    };
    validation(e)?;
    let paged = q.iter().any(|(k, _)| k == "limit" || k == "offset");
    Ok(ChatFilter {
        page: if paged {
            let w = message_window(q)?;
            Some(MessageWindow {
                limit: w.limit.min(CHAT_PAGE_MAX),
                offset: w.offset,
            })
        } else {
            None
        },
        ..f
    })
}

/// Most rows of one page of `GET /chats/`.
pub const CHAT_PAGE_MAX: u64 = 500;

pub const LIMIT_OFFSET: &str = "limit e offset devem ser inteiros";

/// `?limit` (default 50) and `?offset` (default 0): anything but a non-negative integer →
/// 400 `{"error":"limit e offset devem ser inteiros"}`.
pub fn message_window(q: &Query) -> ApiResult<MessageWindow> {
    let get = |key: &str, default: u64| -> ApiResult<u64> {
        match q.iter().rev().find(|(k, _)| k == key) {
            None => Ok(default),
            Some((_, v)) => v
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| error(LIMIT_OFFSET)),
        }
    };
    let d = MessageWindow::default();
    Ok(MessageWindow {
        limit: get("limit", d.limit)?,
        offset: get("offset", d.offset)?,
    })
}

/// `aceitar`: `{"atendente_id"?: int, "observacoes"?: str}`.
pub fn aceitar(input: &Input) -> ApiResult<AceitarChat> {
    let mut e = FieldErrors::new();
    let c = AceitarChat {
        atendente_id: input.int("atendente_id", true, &mut e).flatten(),
        observacoes: optional_text(input, "observacoes", &mut e),
    };
    validation(e)?;
    Ok(c)
}

/// `encerrar`: `{"observacoes"?: str, "solicitar_avaliacao"?: bool}` (the flag is checked,
/// then ignored).
pub fn encerrar(input: &Input) -> ApiResult<Option<String>> {
    let mut e = FieldErrors::new();
    let o = optional_text(input, "observacoes", &mut e);
    input.boolean("solicitar_avaliacao", &mut e);
    validation(e)?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn windows_take_non_negative_integers() {
        let w = message_window(&q(&[])).unwrap();
        assert_eq!((w.limit, w.offset), (50, 0));
        let w = message_window(&q(&[("limit", "5"), ("offset", "10")])).unwrap();
        assert_eq!((w.limit, w.offset), (5, 10));
        for bad in ["x", "", "-1", "1.5", "99999999999999999999"] {
            assert!(message_window(&q(&[("limit", bad)])).is_err(), "{bad}");
            assert!(message_window(&q(&[("offset", bad)])).is_err(), "{bad}");
        }
    }

    #[test]
    fn chat_filters() {
        let f = chat_filter(&q(&[])).unwrap();
        assert_eq!(
            (f.sort, f.descending, f.status),
            (ChatSort::LastMessage, true, None)
        );
        let f = chat_filter(&q(&[
            ("sort", "priority"),
            ("order", "asc"),
            ("status", "pausado"),
        ]))
        .unwrap();
        assert_eq!(
            (f.sort, f.descending, f.status),
            (ChatSort::Priority, false, Some(Status::Pausado))
        );
        assert!(chat_filter(&q(&[("status", "fechado")])).is_err());
        assert!(chat_filter(&q(&[("atendente", "x")])).is_err());
        // The whole list unless a page is asked for.
        assert_eq!(chat_filter(&q(&[])).unwrap().page, None);
        let p = chat_filter(&q(&[("offset", "20")])).unwrap().page.unwrap();
        assert_eq!((p.limit, p.offset), (50, 20));
        let p = chat_filter(&q(&[("limit", "100000")]))
            .unwrap()
            .page
            .unwrap();
        assert_eq!((p.limit, p.offset), (CHAT_PAGE_MAX, 0));
        assert!(chat_filter(&q(&[("limit", "-1")])).is_err());
    }

    #[test]
    fn encerrar_time_is_utc_with_z() {
        let t = Utc.with_ymd_and_hms(2025, 10, 12, 13, 18, 45).unwrap();
        assert_eq!(utc_z(t), "2025-10-12T13:18:45.000000Z");
    }
}

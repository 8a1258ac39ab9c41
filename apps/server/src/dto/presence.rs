//! Presence wire shapes (contract §3 **Presence** and **Preferencias**, §4.8, §5.3 B) and the
//! parsing of bodies and queries into the domain's typed commands.

use crate::http::{ApiError, ApiResult};
use atendimento::presenca::model::{format_time, parse_time};
use atendimento::presenca::{
    ChatId, PreferenciasPatch, PreferenciasView, PresenceStatus, PresenceView, SetStatus,
    StatusMessage, TextError,
};
use chrono::NaiveTime;
use kernel::clock::format_local;
use kernel::input::Input;
use kernel::{DomainError, FieldErrors, messages as m};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The 400 of `set-status` for anything but the four statuses.
pub const STATUS_INVALIDO: &str = "Status inválido. Use: online, offline, busy, away";
/// The 400 of both typing endpoints without a `chat_id`.
pub const CHAT_ID_OBRIGATORIO: &str = "chat_id é obrigatório";

/// **Presence**.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceOut {
    pub id: i64,
    pub agent: i64,
    pub agent_username: String,
    #[schema(value_type = String, example = "online")]
    pub status: PresenceStatus,
    #[schema(max_length = 255)]
    pub status_message: String,
    pub last_heartbeat: String,
    /// The agent has at least one authenticated open socket now.
    pub websocket_connected: bool,
    /// `status == online` and `websocket_connected`.
    pub is_available: bool,
    /// Whole minutes since `status_changed_at`.
    pub tempo_no_status_atual: i64,
    /// No heartbeat for more than 2 minutes (`DX_PRESENCE_TIMEOUT_SECONDS`).
    pub esta_inativo: bool,
    pub status_changed_at: String,
    pub updated_at: String,
}

impl From<&PresenceView> for PresenceOut {
    fn from(v: &PresenceView) -> Self {
        let p = &v.presence;
        Self {
            id: p.id,
            agent: p.agent,
            agent_username: p.agent_username.clone(),
            status: p.status,
            status_message: p.status_message.clone(),
            last_heartbeat: format_local(p.last_heartbeat),
            websocket_connected: v.websocket_connected,
            is_available: v.is_available,
            tempo_no_status_atual: v.tempo_no_status_atual,
            esta_inativo: v.esta_inativo,
            status_changed_at: format_local(p.status_changed_at),
            updated_at: format_local(p.updated_at),
        }
    }
}

/// **Preferencias**.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferenciasOut {
    pub id: i64,
    pub usuario: i64,
    pub som_nova_mensagem: bool,
    pub som_novo_atendimento: bool,
    pub som_transferencia: bool,
    pub desktop_nova_mensagem: bool,
    pub desktop_novo_atendimento: bool,
    pub desktop_transferencia: bool,
    pub mostrar_badge_mensagens: bool,
    pub mostrar_badge_atendimentos: bool,
    pub modo_nao_perturbe: bool,
    /// `HH:MM:SS`.
    #[schema(example = "22:00:00")]
    pub nao_perturbe_inicio: Option<String>,
    #[schema(example = "07:00:00")]
    pub nao_perturbe_fim: Option<String>,
    /// The mode is on, both times are set and São Paulo's time is inside the window (bounds
    /// included; a window ending before it starts wraps midnight).
    pub esta_em_nao_perturbe: bool,
    pub criado_em: String,
    pub atualizado_em: String,
}

impl From<&PreferenciasView> for PreferenciasOut {
    fn from(v: &PreferenciasView) -> Self {
        let p = &v.preferencias;
        Self {
            id: p.id,
            usuario: p.usuario,
            som_nova_mensagem: p.som_nova_mensagem,
            som_novo_atendimento: p.som_novo_atendimento,
            som_transferencia: p.som_transferencia,
            desktop_nova_mensagem: p.desktop_nova_mensagem,
            desktop_novo_atendimento: p.desktop_novo_atendimento,
            desktop_transferencia: p.desktop_transferencia,
            mostrar_badge_mensagens: p.mostrar_badge_mensagens,
            mostrar_badge_atendimentos: p.mostrar_badge_atendimentos,
            modo_nao_perturbe: p.modo_nao_perturbe,
            nao_perturbe_inicio: p.nao_perturbe_inicio.map(format_time),
            nao_perturbe_fim: p.nao_perturbe_fim.map(format_time),
            esta_em_nao_perturbe: v.esta_em_nao_perturbe,
            criado_em: format_local(p.criado_em),
            atualizado_em: format_local(p.atualizado_em),
        }
    }
}

/// Writable preferences (all optional; read-only keys are ignored).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PreferenciasIn {
    pub som_nova_mensagem: Option<bool>,
    pub som_novo_atendimento: Option<bool>,
    pub som_transferencia: Option<bool>,
    pub desktop_nova_mensagem: Option<bool>,
    pub desktop_novo_atendimento: Option<bool>,
    pub desktop_transferencia: Option<bool>,
    pub mostrar_badge_mensagens: Option<bool>,
    pub mostrar_badge_atendimentos: Option<bool>,
    pub modo_nao_perturbe: Option<bool>,
    /// `hh:mm[:ss[.uuuuuu]]`, or null.
    #[schema(example = "22:00")]
    pub nao_perturbe_inicio: Option<String>,
    #[schema(example = "07:00")]
    pub nao_perturbe_fim: Option<String>,
}

/// `POST /presence/set-status/`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SetStatusIn {
    /// `online`, `offline`, `busy` or `away`.
    #[schema(example = "busy")]
    pub status: String,
    /// Replaces `status_message` when non-empty.
    #[schema(max_length = 255)]
    pub message: Option<String>,
}

/// `POST /typing/`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TypingIn {
    #[schema(example = "5511999999999", max_length = 100)]
    pub chat_id: String,
}

fn text_error(field: &str, e: TextError) -> ApiError {
    let msg = match e {
        TextError::Empty => m::BLANK.to_string(),
        TextError::TooLong(n) => m::max_length(n),
        TextError::NullCharacter => m::NULL_CHARACTERS.to_string(),
    };
    DomainError::field(field, msg).into()
}

/// A text value of a loose body field: strings as sent, numbers as their text.
fn loose_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `set-status`: a status other than the four (or none) → the endpoint's 400.
pub fn set_status(input: &Input) -> ApiResult<SetStatus> {
    let status = match input.raw("status") {
        Some(Value::String(s)) => PresenceStatus::parse(s),
        _ => None,
    }
    .ok_or_else(|| DomainError::BadRequest(STATUS_INVALIDO.into()))?;
    let message = match input.raw("message") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let text = loose_text(v)
                .ok_or_else(|| ApiError::from(DomainError::field("message", m::NOT_A_STRING)))?;
            Some(StatusMessage::parse(&text).map_err(|e| text_error("message", e))?)
        }
    };
    Ok(SetStatus { status, message })
}

/// A typing endpoint's `chat_id`: absent or empty → the endpoint's 400.
pub fn chat_id(raw: Option<&Value>) -> ApiResult<ChatId> {
    let text = raw.and_then(loose_text).unwrap_or_default();
    ChatId::parse(&text).map_err(|e| match e {
        TextError::Empty => DomainError::BadRequest(CHAT_ID_OBRIGATORIO.into()).into(),
        other => text_error("chat_id", other),
    })
}

/// `DELETE /typing/?chat_id=…` (the last non-empty value).
pub fn chat_id_query(q: &[(String, String)]) -> ApiResult<ChatId> {
    let v = q
        .iter()
        .rev()
        .find(|(k, v)| k == "chat_id" && !v.is_empty())
        .map(|(_, v)| Value::String(v.clone()));
    chat_id(v.as_ref())
}

/// A nullable time field: `Some(None)` for null (and for an empty form value).
fn time(input: &Input, key: &str, errors: &mut FieldErrors) -> Option<Option<NaiveTime>> {
    match input.raw(key)? {
        Value::Null => Some(None),
        Value::String(s) if s.is_empty() && input.form => Some(None),
        Value::String(s) => match parse_time(s) {
            Some(t) => Some(Some(t)),
            None => {
                errors.add(key, m::TIME);
                None
            }
        },
        _ => {
            errors.add(key, m::TIME);
            None
        }
    }
}

/// `PATCH /me/preferencias-notificacao/`: DRF field errors for every bad field at once.
pub fn preferencias_patch(input: &Input) -> ApiResult<PreferenciasPatch> {
    let mut e = FieldErrors::new();
    let patch = PreferenciasPatch {
        som_nova_mensagem: input.boolean("som_nova_mensagem", &mut e),
        som_novo_atendimento: input.boolean("som_novo_atendimento", &mut e),
        som_transferencia: input.boolean("som_transferencia", &mut e),
        desktop_nova_mensagem: input.boolean("desktop_nova_mensagem", &mut e),
        desktop_novo_atendimento: input.boolean("desktop_novo_atendimento", &mut e),
        desktop_transferencia: input.boolean("desktop_transferencia", &mut e),
        mostrar_badge_mensagens: input.boolean("mostrar_badge_mensagens", &mut e),
        mostrar_badge_atendimentos: input.boolean("mostrar_badge_atendimentos", &mut e),
        modo_nao_perturbe: input.boolean("modo_nao_perturbe", &mut e),
        nao_perturbe_inicio: time(input, "nao_perturbe_inicio", &mut e),
        nao_perturbe_fim: time(input, "nao_perturbe_fim", &mut e),
    };
    e.into_result()?;
    Ok(patch)
}

/// Data of `agent_presence_changed`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AgentPresenceChangedData {
    pub agent_id: i64,
    #[schema(example = "busy")]
    pub status: String,
    /// The status message, or `Desconectado por inatividade` from the presence timeout.
    pub message: String,
    /// UTC ISO-8601 with `+00:00`.
    #[schema(example = "2025-10-12T13:18:45.481809+00:00")]
    pub timestamp: String,
}

/// `{"event":"agent_presence_changed","data":{…},"version":"v1"}` (every authenticated
/// socket).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WsEventAgentPresenceChanged {
    #[schema(example = "agent_presence_changed")]
    pub event: String,
    pub data: AgentPresenceChangedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `typing_start` / `typing_stop`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TypingData {
    pub chat_id: String,
    /// The typist's username.
    pub from: String,
    pub timestamp: String,
}

/// `{"event":"typing_start"|"typing_stop","data":{…},"version":"v1"}` (every authenticated
/// socket except the typist's).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WsEventTyping {
    #[schema(example = "typing_start")]
    pub event: String,
    pub data: TypingData,
    #[schema(example = "v1")]
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    fn body(r: ApiResult<impl std::fmt::Debug>) -> String {
        format!("{:?}", r.unwrap_err())
    }

    #[test]
    fn set_status_takes_the_four_statuses_only() {
        let c = set_status(&input(json!({"status":"away","message":"Volto já"}))).unwrap();
        assert_eq!(c.status, PresenceStatus::Away);
        assert_eq!(c.message.unwrap().as_str(), "Volto já");
        for bad in [
            json!({}),
            json!({"status":"Online"}),
            json!({"status":1}),
            json!({"status":null}),
        ] {
            assert!(body(set_status(&input(bad))).contains(STATUS_INVALIDO));
        }
        let long = "x".repeat(256);
        assert!(body(set_status(&input(json!({"status":"busy","message":long})))).contains("255"));
        assert!(set_status(&input(json!({"status":"busy","message":[1]}))).is_err());
        let c = set_status(&input(json!({"status":"busy","message":null}))).unwrap();
        assert_eq!(c.message, None);
    }

    #[test]
    fn chat_ids_are_required_and_bounded() {
        assert_eq!(chat_id(Some(&json!("5511"))).unwrap().as_str(), "5511");
        assert_eq!(chat_id(Some(&json!(5511))).unwrap().as_str(), "5511");
        for missing in [None, Some(json!("")), Some(json!(null)), Some(json!(true))] {
            assert!(body(chat_id(missing.as_ref())).contains(CHAT_ID_OBRIGATORIO));
        }
        assert!(body(chat_id(Some(&json!("9".repeat(101))))).contains("100"));
        let q = vec![
            ("chat_id".to_string(), "1".to_string()),
            ("chat_id".into(), "".into()),
        ];
        assert_eq!(chat_id_query(&q).unwrap().as_str(), "1");
        assert!(chat_id_query(&[]).is_err());
    }

    #[test]
    fn preference_patches_collect_drf_errors() {
        let p = preferencias_patch(&input(json!({
            "som_nova_mensagem": false, "nao_perturbe_inicio": "22:00", "nao_perturbe_fim": null,
            "id": 99, "usuario": 5, "esta_em_nao_perturbe": true
        })))
        .unwrap();
        assert_eq!(p.som_nova_mensagem, Some(false));
        assert_eq!(
            p.nao_perturbe_inicio,
            Some(NaiveTime::from_hms_opt(22, 0, 0))
        );
        assert_eq!(p.nao_perturbe_fim, Some(None));
        assert_eq!(p.modo_nao_perturbe, None);
        let e = preferencias_patch(&input(json!({
            "som_transferencia": "talvez", "nao_perturbe_inicio": "25:00",
            "nao_perturbe_fim": 7, "modo_nao_perturbe": null
        })))
        .unwrap_err();
        let ApiError::Domain(DomainError::Validation(fe)) = e else {
            panic!("field errors")
        };
        assert_eq!(
            fe.to_json(),
            json!({"som_transferencia":[m::BOOLEAN],"nao_perturbe_inicio":[m::TIME],
                   "nao_perturbe_fim":[m::TIME],"modo_nao_perturbe":[m::NULL]})
        );
        let mut form = input(json!({"nao_perturbe_inicio": "", "modo_nao_perturbe": "true"}));
        form.form = true;
        let p = preferencias_patch(&form).unwrap();
        assert_eq!(
            (p.nao_perturbe_inicio, p.modo_nao_perturbe),
            (Some(None), Some(true))
        );
        let e = preferencias_patch(&input(json!({"nao_perturbe_inicio": ""}))).unwrap_err();
        assert!(format!("{e:?}").contains("Formato"));
    }
}

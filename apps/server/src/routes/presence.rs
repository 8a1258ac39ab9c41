//! Notificações e presença (contract §4.8): the caller's notification preferences, presence
//! (get-or-create, set-status, heartbeat) and typing indicators. Events: §5.3 B
//! `agent_presence_changed` (every socket) and `typing_start`/`typing_stop` (every socket but
//! the typist's).

use crate::dto::presence::{
    self as dto, AgentPresenceChangedData, PreferenciasIn, PreferenciasOut, PresenceOut,
    SetStatusIn, TypingData, TypingIn, WsEventAgentPresenceChanged, WsEventTyping,
};
use crate::http::middleware::Res;
use crate::http::page::query_pairs;
use crate::http::{ApiResult, Auth, Body, no_content, ok};
use actix_web::{HttpRequest, HttpResponse, web};
use atendimento::presenca::{Caller, PresencaService};
use serde_json::json;
use std::sync::Arc;

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub presenca: Arc<PresencaService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            presenca: s.presence.service.clone(),
        }
    }
}

fn caller(auth: &authz::Principal) -> Caller {
    Caller {
        id: auth.id,
        username: auth.username.clone(),
    }
}

/// The caller's notification preferences (created with the defaults on first access).
#[utoipa::path(get, operation_id = "presence_preferencias_get", path = "/api/v1/me/preferencias-notificacao/", tag = "Notificações e Presença", security(("jwt" = [])),
    responses((status = 200, body = PreferenciasOut), (status = 401)))]
pub async fn preferencias_get(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let v = state.presenca.preferencias(&caller(&auth)).await?;
    Ok(ok(PreferenciasOut::from(&v)))
}

/// Update some of the caller's notification preferences (read-only keys are ignored).
#[utoipa::path(patch, operation_id = "presence_preferencias_patch", path = "/api/v1/me/preferencias-notificacao/", tag = "Notificações e Presença", security(("jwt" = [])),
    request_body = PreferenciasIn,
    responses((status = 200, body = PreferenciasOut), (status = 400, description = "Field errors"), (status = 401)))]
pub async fn preferencias_patch(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let patch = dto::preferencias_patch(body.object()?)?;
    let v = state
        .presenca
        .update_preferencias(&caller(&auth), patch)
        .await?;
    Ok(ok(PreferenciasOut::from(&v)))
}

/// The caller's presence (created `offline` on first access).
#[utoipa::path(get, operation_id = "presence_me", path = "/api/v1/presence/me/", tag = "Notificações e Presença", security(("jwt" = [])),
    responses((status = 200, body = PresenceOut), (status = 401)))]
pub async fn presence_me(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let v = state.presenca.me(&caller(&auth)).await?;
    Ok(ok(PresenceOut::from(&v)))
}

/// Change the caller's status; announced to every socket (`agent_presence_changed`).
#[utoipa::path(post, operation_id = "presence_set_status", path = "/api/v1/presence/set-status/", tag = "Notificações e Presença", security(("jwt" = [])),
    request_body = SetStatusIn,
    responses((status = 200, description = "`{message: \"Status alterado de <old> para <new>\", status}`"),
              (status = 400, description = "`{error: \"Status inválido. Use: online, offline, busy, away\"}`"),
              (status = 401)))]
pub async fn set_status(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = dto::set_status(&body.input)?;
    let change = state.presenca.set_status(&caller(&auth), cmd).await?;
    let new = change.presence.status;
    Ok(ok(json!({
        "message": format!("Status alterado de {} para {new}", change.old),
        "status": new,
    })))
}

/// Keep-alive: records the heartbeat; an `offline` caller with an open socket comes `online`.
#[utoipa::path(post, operation_id = "presence_heartbeat", path = "/api/v1/presence/heartbeat/", tag = "Notificações e Presença", security(("jwt" = [])),
    responses((status = 200, description = "`{message: \"Heartbeat atualizado\"}`"), (status = 401)))]
pub async fn heartbeat(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    state.presenca.heartbeat(&caller(&auth)).await?;
    Ok(ok(json!({"message": "Heartbeat atualizado"})))
}

/// The caller is typing in a chat (`typing_start` to every socket but the caller's).
#[utoipa::path(post, operation_id = "presence_typing_start", path = "/api/v1/typing/", tag = "Notificações e Presença", security(("jwt" = [])),
    request_body = TypingIn,
    responses((status = 200, description = "`{message: \"Indicador de digitação ativado\"}`"),
              (status = 400, description = "`{error: \"chat_id é obrigatório\"}`"), (status = 401)))]
pub async fn typing_start(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let chat = dto::chat_id(body.input.raw("chat_id"))?;
    state.presenca.start_typing(&caller(&auth), chat).await?;
    Ok(ok(json!({"message": "Indicador de digitação ativado"})))
}

/// The caller stopped typing (`typing_stop` to every socket but the caller's).
#[utoipa::path(delete, operation_id = "presence_typing_stop", path = "/api/v1/typing/", tag = "Notificações e Presença", security(("jwt" = [])),
    params(("chat_id" = String, Query)),
    responses((status = 204), (status = 400, description = "`{error: \"chat_id é obrigatório\"}`"),
              (status = 401), (status = 404, description = "No indicator of the caller for that chat (empty body)")))]
pub async fn typing_stop(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let chat = dto::chat_id_query(&query_pairs(&req))?;
    Ok(if state.presenca.stop_typing(&caller(&auth), chat).await? {
        no_content()
    } else {
        HttpResponse::NotFound().finish()
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Res::new("/api/v1/me/preferencias-notificacao/", true)
            .get(preferencias_get)
            .patch(preferencias_patch)
            .build(),
    )
    .service(
        Res::new("/api/v1/presence/me/", true)
            .get(presence_me)
            .build(),
    )
    .service(
        Res::new("/api/v1/presence/set-status/", true)
            .post(set_status)
            .build(),
    )
    .service(
        Res::new("/api/v1/presence/heartbeat/", true)
            .post(heartbeat)
            .build(),
    )
    .service(
        Res::new("/api/v1/typing/", true)
            .post(typing_start)
            .delete(typing_stop)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`), with the schemas of
/// its WebSocket events.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        preferencias_get,
        preferencias_patch,
        presence_me,
        set_status,
        heartbeat,
        typing_start,
        typing_stop
    ),
    components(schemas(
        PresenceOut,
        PreferenciasOut,
        PreferenciasIn,
        SetStatusIn,
        TypingIn,
        WsEventAgentPresenceChanged,
        AgentPresenceChangedData,
        WsEventTyping,
        TypingData,
    ))
)]
pub struct AreaDoc;

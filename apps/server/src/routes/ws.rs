//! The WebSocket endpoints (contract §5): `/ws/whatsapp/` and its alias `/ws/atendimento/`.
//!
//! The handshake authenticates the `?token=` access token with the HTTP rules (an inactive or
//! deleted user, a refresh token, garbage: 403). The socket is then registered on the hub and
//! this module only forwards: hub frames out, `ping` → `pong`, `inject_incoming` into the
//! intake. A socket whose queue overflowed is closed with 1013; a socket that does not answer
//! the server's pings for [`SILENT_PINGS`] intervals is dropped. The request log prints paths
//! only, never the query string, so tokens do not reach the logs.

use crate::dto::whatsapp as dto;
use crate::http::ApiError;
use crate::routes::auth::Area as AuthArea;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use adapter_realtime::{Delivery, Hub, Subscription};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use whatsapp::commands::InboundTarget;
use whatsapp::intake::InboundIntake;

/// A socket that sent nothing (not even a pong) for this many ping intervals is dropped.
pub const SILENT_PINGS: u32 = 3;
/// Largest client frame accepted (inject payloads are small).
const MAX_FRAME: usize = 64 * 1024;

type State = web::Data<Area>;

pub struct Area {
    pub hub: Arc<Hub>,
    pub intake: Arc<InboundIntake>,
    /// Server ping interval (`DX_WS_PING_SECS`).
    pub ping: Duration,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            hub: s.hub.clone(),
            intake: s.whatsapp.intake.clone(),
            ping: s.ws_ping,
        }
    }
}

fn refused(msg: &str) -> ApiError {
    ApiError::detail(StatusCode::FORBIDDEN, msg)
}

/// The WebSocket handshake; see the module docs.
#[utoipa::path(get, operation_id = "ws_whatsapp", path = "/ws/whatsapp/", tag = "WebSocket",
    params(("token" = String, Query, description = "Access JWT")),
    responses((status = 101, description = "Switching protocols; events as in docs/websocket.md (schemas: WsEvent*)"),
              (status = 403, description = "Missing, invalid or expired token, or inactive user")))]
pub async fn ws_whatsapp(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    auth: web::Data<AuthArea>,
) -> Result<HttpResponse, ApiError> {
    connect(req, body, state, auth).await
}

/// Alias of `/ws/whatsapp/` (identical behaviour).
#[utoipa::path(get, operation_id = "ws_atendimento", path = "/ws/atendimento/", tag = "WebSocket",
    params(("token" = String, Query, description = "Access JWT")),
    responses((status = 101, description = "Switching protocols"), (status = 403, description = "Refused")))]
pub async fn ws_atendimento(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    auth: web::Data<AuthArea>,
) -> Result<HttpResponse, ApiError> {
    connect(req, body, state, auth).await
}

async fn connect(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    auth: web::Data<AuthArea>,
) -> Result<HttpResponse, ApiError> {
    let token =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("token").cloned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| refused("Token de acesso ausente."))?;
    let principal = crate::http::auth::authenticate(&auth, &token)
        .await
        .map_err(|_| refused("Token inválido ou expirado."))?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::detail(StatusCode::BAD_REQUEST, e.to_string()))?;
    let sub = state.hub.register(principal.id);
    let stream = stream.max_frame_size(MAX_FRAME);
    actix_web::rt::spawn(drive(
        session,
        stream,
        sub,
        state.intake.clone(),
        state.ping,
    ));
    Ok(response)
}

/// The socket's life: frames from the hub out, client frames in, pings.
async fn drive(
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
    mut sub: Subscription,
    intake: Arc<InboundIntake>,
    every: Duration,
) {
    let user = sub.user_id();
    let mut ping = tokio::time::interval(every);
    ping.tick().await;
    let mut last_seen = Instant::now();
    let close = loop {
        tokio::select! {
            d = sub.recv() => match d {
                Delivery::Frame(f) => {
                    if session.text(f.to_string()).await.is_err() {
                        break None;
                    }
                }
                Delivery::Overflow => break Some(CloseReason {
                    code: CloseCode::Again,
                    description: Some("too slow".into()),
                }),
                Delivery::Closed => break Some(CloseCode::Away.into()),
            },
            m = stream.next() => {
                last_seen = Instant::now();
                match m {
                    Some(Ok(Message::Text(t))) => {
                        if let Err(reason) = on_text(&session, &intake, user, &t).await {
                            break Some(reason);
                        }
                    }
                    Some(Ok(Message::Ping(b))) => {
                        if session.pong(&b).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(Message::Close(r))) => break r,
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break None,
                }
            }
            _ = ping.tick() => {
                if last_seen.elapsed() > every * SILENT_PINGS {
                    break Some(CloseReason { code: CloseCode::Policy, description: Some("pong timeout".into()) });
                }
                if session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    drop(sub);
    let _ = session.close(close).await;
}

/// One client text frame (§5.2). `Err`: close the socket with that reason.
async fn on_text(
    session: &actix_ws::Session,
    intake: &Arc<InboundIntake>,
    user: i64,
    text: &str,
) -> Result<(), CloseReason> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        // Non-JSON closes the socket with 1011 (observed).
        return Err(CloseReason {
            code: CloseCode::Error,
            description: Some("invalid JSON".into()),
        });
    };
    let Some(obj) = v.as_object() else {
        return Ok(());
    };
    if obj.len() == 1 && obj.get("type") == Some(&json!("ping")) {
        let _ = session.clone().text(r#"{"type":"pong"}"#).await;
        return Ok(());
    }
    if obj.get("type") == Some(&json!("inject_incoming")) {
        let mut session = session.clone();
        let intake = intake.clone();
        // The intake writes to the database: done beside the socket's loop, so events keep
        // flowing meanwhile.
        actix_web::rt::spawn(async move {
            let reply = match dto::inject(&v, false) {
                Ok(msg) => {
                    let chat_id = msg.chat_id.clone();
                    match intake.receive(InboundTarget::SessionOf(user), msg).await {
                        Ok((m, _)) => {
                            json!({"type": "inject_success", "message_id": m.message_id, "chat_id": chat_id})
                        }
                        Err(e) => json!({"type": "inject_error", "error": inject_error_text(&e)}),
                    }
                }
                Err(e) => json!({"type": "inject_error", "error": e.0}),
            };
            let _ = session.text(reply.to_string()).await;
        });
    }
    Ok(())
}

fn inject_error_text(e: &kernel::DomainError) -> String {
    use kernel::DomainError as D;
    match e {
        D::NotFoundMsg(m) | D::BadRequest(m) | D::Unavailable(m) => m.clone(),
        D::Validation(fe) => fe.to_json().to_string(),
        D::Internal(_) => crate::http::error::INTERNAL.to_string(),
        other => other.to_string(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ws/whatsapp/").route(web::get().to(ws_whatsapp)))
        .service(web::resource("/ws/atendimento/").route(web::get().to(ws_atendimento)));
}

/// This area's part of the OpenAPI document: the two endpoints and every event payload.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(ws_whatsapp, ws_atendimento),
    components(schemas(
        crate::dto::events::WsEventSessionStatus,
        crate::dto::events::WsEventQrcode,
        crate::dto::events::WsEventMessageStatus,
        crate::dto::events::WsEventMessageReceived,
        crate::dto::events::WsEventMessageSent,
        crate::dto::events::WsClientPing,
        crate::dto::events::WsClientInject,
        crate::dto::events::WsInjectReply,
    ))
)]
pub struct AreaDoc;

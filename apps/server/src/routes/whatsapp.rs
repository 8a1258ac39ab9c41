//! WhatsApp (contract §4.5): sessions, messages, send (outbox), webhook, inject and the
//! legacy slash-less endpoints. Non-superusers see only their own sessions and messages.

use crate::dto::whatsapp::{
    self as dto, MessageListOut, MessageOut, SendIn, SessionIn, SessionListOut, SessionOut,
};
use crate::http::auth::{MaybeAuth, Perm, PermCode};
use crate::http::middleware::Res;
use crate::http::page::{Paginated, page_request, paginate, query_pairs};
use crate::http::{ApiError, ApiResult, Auth, Body, created, no_content, ok, parse_id};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kernel::DomainError;
use serde_json::json;
use std::sync::Arc;
use whatsapp::commands::{Caller, InboundTarget};
use whatsapp::intake::InboundIntake;
use whatsapp::messages::MessageService;
use whatsapp::sessions::{GatewayEventHandler, SessionService, acceptable_rate};

type State = web::Data<Area>;

/// What this area's handlers (and the WebSocket endpoints' injects) use.
pub struct Area {
    pub sessions: Arc<SessionService>,
    pub messages: Arc<MessageService>,
    pub intake: Arc<InboundIntake>,
    pub gateway_events: Arc<GatewayEventHandler>,
    /// The WhatsApp settings (`reconnect_backoff_seconds`).
    pub config: Arc<configuracoes::ConfigService>,
    /// Signed links to stored inbound media.
    pub links: Arc<crate::routes::media::MediaFiles>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            sessions: s.whatsapp.sessions.clone(),
            messages: s.whatsapp.messages.clone(),
            intake: s.whatsapp.intake.clone(),
            gateway_events: s.whatsapp.gateway_events.clone(),
            config: s.config.clone(),
            links: s.media.clone(),
        }
    }

    /// A message as the wire shows it: stored media as a signed, expiring link.
    fn out(&self, req: &HttpRequest, m: &whatsapp::Message) -> MessageOut {
        let mut out = MessageOut::from(m);
        if let Some(path) = dto::stored_media_path(&m.media_url) {
            out.media_url = crate::dto::media_link(&self.links, Some(req), path);
        }
        out
    }
}

pub fn caller(auth: &authz::Principal) -> Caller {
    Caller {
        id: auth.id,
        is_superuser: auth.is_superuser,
    }
}

/// `core.manage_config_whatsapp` (legacy endpoints).
pub struct ManageWhatsapp;
impl PermCode for ManageWhatsapp {
    const CODE: &'static str = "core.manage_config_whatsapp";
}

fn accepted(v: serde_json::Value) -> HttpResponse {
    HttpResponse::Accepted().json(v)
}

/// List sessions.
#[utoipa::path(get, operation_id = "whatsapp_sessions_list", path = "/api/v1/whatsapp/sessions/", tag = "WhatsApp", security(("jwt" = [])),
    params(("status" = Option<String>, Query), ("is_active" = Option<bool>, Query),
           ("search" = Option<String>, Query, description = "phone_number, device_name"),
           ("ordering" = Option<String>, Query, description = "created_at, updated_at, connected_at (default -updated_at)"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<SessionListOut>), (status = 400), (status = 401), (status = 404)))]
pub async fn sessions_list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter = dto::session_filter(&q)?;
    let page = state
        .sessions
        .list(caller(&auth), filter, page_request(&q)?)
        .await?;
    Ok(ok(paginate(&req, &q, page, |s| SessionListOut::from(&s))))
}

/// Create a session (`usuario` defaults to the caller).
#[utoipa::path(post, operation_id = "whatsapp_sessions_create", path = "/api/v1/whatsapp/sessions/", tag = "WhatsApp", security(("jwt" = [])), request_body = SessionIn,
    responses((status = 201, body = SessionOut), (status = 400), (status = 401)))]
pub async fn sessions_create(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let changes = dto::session_changes(body.object()?)?;
    let s = state.sessions.create(caller(&auth), changes).await?;
    Ok(created(SessionOut::of(&s, state.sessions.now())))
}

/// Session detail.
#[utoipa::path(get, operation_id = "whatsapp_sessions_detail", path = "/api/v1/whatsapp/sessions/{id}/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = SessionOut), (status = 401), (status = 404)))]
pub async fn sessions_detail(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let s = state.sessions.get(caller(&auth), parse_id(&id)?).await?;
    Ok(ok(SessionOut::of(&s, state.sessions.now())))
}

async fn update(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    state.sessions.get(caller(&auth), id).await?;
    let changes = dto::session_changes(body.object()?)?;
    let s = state.sessions.update(caller(&auth), id, changes).await?;
    Ok(ok(SessionOut::of(&s, state.sessions.now())))
}

/// Replace a session's writable fields.
#[utoipa::path(put, operation_id = "whatsapp_sessions_put", path = "/api/v1/whatsapp/sessions/{id}/", tag = "WhatsApp", security(("jwt" = [])), request_body = SessionIn,
    params(("id" = i64, Path)), responses((status = 200, body = SessionOut), (status = 400), (status = 401), (status = 404)))]
pub async fn sessions_put(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    update(auth, state, id, body).await
}

/// Update some of a session's writable fields.
#[utoipa::path(patch, operation_id = "whatsapp_sessions_patch", path = "/api/v1/whatsapp/sessions/{id}/", tag = "WhatsApp", security(("jwt" = [])), request_body = SessionIn,
    params(("id" = i64, Path)), responses((status = 200, body = SessionOut), (status = 400), (status = 401), (status = 404)))]
pub async fn sessions_patch(
    auth: Auth,
    state: State,
    id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    update(auth, state, id, body).await
}

/// Delete a session row (and its messages).
#[utoipa::path(delete, operation_id = "whatsapp_sessions_delete", path = "/api/v1/whatsapp/sessions/{id}/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 401), (status = 404)))]
pub async fn sessions_delete(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.sessions.delete(caller(&auth), parse_id(&id)?).await?;
    Ok(no_content())
}

/// Start the caller's session (get-or-create, then connect).
#[utoipa::path(post, operation_id = "whatsapp_sessions_start", path = "/api/v1/whatsapp/sessions/start/", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 202, description = "`{session_id, status, message}`"), (status = 401)))]
pub async fn sessions_start(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let s = state.sessions.start(caller(&auth)).await?;
    Ok(accepted(json!({
        "session_id": s.session_id,
        "status": s.status,
        "message": "Sessão iniciada com sucesso",
    })))
}

/// Stop the caller's session.
#[utoipa::path(post, operation_id = "whatsapp_sessions_stop", path = "/api/v1/whatsapp/sessions/stop/", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 200, description = "`{message}`"), (status = 401)))]
pub async fn sessions_stop(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    state.sessions.stop(caller(&auth)).await?;
    Ok(ok(json!({"message": "Sessão encerrada com sucesso"})))
}

/// The caller's session status.
#[utoipa::path(get, operation_id = "whatsapp_sessions_status", path = "/api/v1/whatsapp/sessions/status/", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 200, description = "Session status (UTC datetimes)"), (status = 401)))]
pub async fn sessions_status(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    Ok(ok(match state.sessions.status(caller(&auth)).await? {
        Some(s) => dto::status_body(&s, state.sessions.now()),
        None => json!({"status": "disconnected", "message": "Nenhuma sessão encontrada"}),
    }))
}

/// Session metrics.
#[utoipa::path(get, operation_id = "whatsapp_sessions_metrics", path = "/api/v1/whatsapp/sessions/{id}/metrics/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, description = "Metrics"), (status = 401), (status = 404)))]
pub async fn sessions_metrics(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mx = state
        .sessions
        .metrics(caller(&auth), parse_id(&id)?)
        .await?;
    Ok(ok(dto::metrics_body(&mx)))
}

/// Export a session as a JSON backup file.
#[utoipa::path(get, operation_id = "whatsapp_sessions_export", path = "/api/v1/whatsapp/sessions/{id}/export/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, description = "Backup file (attachment)"), (status = 401), (status = 404)))]
pub async fn sessions_export(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let s = state.sessions.get(caller(&auth), parse_id(&id)?).await?;
    let body = serde_json::to_string_pretty(&dto::export_body(&s, state.sessions.now()))
        .map_err(DomainError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"whatsapp_session_{}_backup.json\"",
                s.id
            ),
        ))
        .body(body))
}

/// Import a session backup (upsert of the caller's active session).
#[utoipa::path(post, operation_id = "whatsapp_sessions_import", path = "/api/v1/whatsapp/sessions/import/", tag = "WhatsApp", security(("jwt" = [])), request_body = Object,
    responses((status = 201, description = "Created"), (status = 200, description = "Updated"), (status = 400), (status = 401)))]
pub async fn sessions_import(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let backup = dto::import_session(&body.value())?;
    let (s, created_) = state.sessions.import(caller(&auth), backup).await?;
    let msg = if created_ {
        "Sessão criada com sucesso"
    } else {
        "Sessão atualizada com sucesso"
    };
    let v = json!({"message": msg, "session_id": s.id, "created": created_});
    Ok(if created_ { created(v) } else { ok(v) })
}

/// Force a reconnect.
#[utoipa::path(post, operation_id = "whatsapp_sessions_reconnect", path = "/api/v1/whatsapp/sessions/{id}/reconnect/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 202, description = "`{message, task_id, session_id}`"), (status = 401), (status = 404)))]
pub async fn sessions_reconnect(
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let backoff = crate::bridges::reconnect_backoff(&state.config).await;
    let s = state
        .sessions
        .reconnect(caller(&auth), parse_id(&id)?, backoff)
        .await?;
    Ok(accepted(json!({
        "message": "Reconexão iniciada",
        "task_id": uuid::Uuid::new_v4().to_string(),
        "session_id": s.id,
    })))
}

/// List messages.
#[utoipa::path(get, operation_id = "whatsapp_messages_list", path = "/api/v1/whatsapp/messages/", tag = "WhatsApp", security(("jwt" = [])),
    params(("direction" = Option<String>, Query), ("message_type" = Option<String>, Query), ("status" = Option<String>, Query),
           ("chat_id" = Option<String>, Query), ("is_from_me" = Option<bool>, Query), ("session" = Option<i64>, Query),
           ("search" = Option<String>, Query, description = "text_content, contact_number, contact_name"),
           ("ordering" = Option<String>, Query, description = "created_at, sent_at, delivered_at (default -created_at)"),
           ("page" = Option<String>, Query), ("page_size" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<MessageListOut>), (status = 400), (status = 401), (status = 404)))]
pub async fn messages_list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let filter = dto::message_filter(&q)?;
    let page = state
        .messages
        .list(caller(&auth), filter, page_request(&q)?)
        .await?;
    Ok(ok(paginate(&req, &q, page, |m| MessageListOut::from(&m))))
}

/// Message detail.
#[utoipa::path(get, operation_id = "whatsapp_messages_detail", path = "/api/v1/whatsapp/messages/{id}/", tag = "WhatsApp", security(("jwt" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = MessageOut), (status = 401), (status = 404)))]
pub async fn messages_detail(
    req: HttpRequest,
    auth: Auth,
    state: State,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let m = state.messages.get(caller(&auth), parse_id(&id)?).await?;
    Ok(ok(state.out(&req, &m)))
}

/// Outbound messages with a latency to sent over 5 s.
#[utoipa::path(get, operation_id = "whatsapp_messages_high_latency", path = "/api/v1/whatsapp/messages/high-latency/", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 200, body = Vec<MessageOut>), (status = 401)))]
pub async fn messages_high_latency(
    req: HttpRequest,
    auth: Auth,
    state: State,
) -> ApiResult<HttpResponse> {
    let list = state.messages.high_latency(caller(&auth)).await?;
    Ok(ok(list
        .iter()
        .map(|m| state.out(&req, m))
        .collect::<Vec<_>>()))
}

/// Latency statistics of the caller's messages.
#[utoipa::path(get, operation_id = "whatsapp_messages_latency_stats", path = "/api/v1/whatsapp/messages/latency-stats/", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 200, description = "Statistics"), (status = 401)))]
pub async fn messages_latency_stats(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let a = state.messages.latency_stats(caller(&auth)).await?;
    Ok(ok(json!({
        "total_messages": a.total,
        "outbound_messages": a.outbound,
        "inbound_messages": a.inbound,
        "avg_latency_to_sent_ms": a.avg_latency_to_sent_ms,
        "avg_latency_to_delivered_ms": a.avg_latency_to_delivered_ms,
        "messages_over_5s": a.over_5s,
        "latency_acceptable_rate": acceptable_rate(a.outbound_acceptable, a.outbound),
    })))
}

/// Send a message: stored `queued`, sent by the outbox (202).
#[utoipa::path(post, operation_id = "whatsapp_send", path = "/api/v1/whatsapp/send/", tag = "WhatsApp", security(("jwt" = [])), request_body = SendIn,
    responses((status = 202, description = "Queued"), (status = 400), (status = 401), (status = 423, description = "Session not ready")))]
pub async fn send(auth: Auth, state: State, body: Body) -> ApiResult<HttpResponse> {
    let cmd = dto::send_message(body.object()?)?;
    let to = cmd.to.clone();
    let client_id = cmd.client_message_id.clone();
    let m = state.messages.send(caller(&auth), cmd).await?;
    Ok(accepted(json!({
        "message": "Mensagem enfileirada para envio",
        "message_id": m.message_id,
        "database_id": m.id,
        "task_id": m.message_id,
        "to": to,
        "client_message_id": client_id,
        "status": m.status,
    })))
}

/// Inbound webhook (public).
#[utoipa::path(post, operation_id = "whatsapp_webhook", path = "/api/v1/whatsapp/webhook/", tag = "WhatsApp", request_body = Object,
    responses((status = 200, body = MessageOut), (status = 400), (status = 503, description = "No ready session")))]
pub async fn webhook(
    req: HttpRequest,
    _who: MaybeAuth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let msg = dto::webhook(&body.value())?;
    let (m, _) = state
        .intake
        .receive(InboundTarget::AnyReadySession, msg)
        .await?;
    Ok(ok(state.out(&req, &m)))
}

/// Inject an inbound message into the caller's session (dev/test helper).
#[utoipa::path(post, operation_id = "whatsapp_inject_incoming", path = "/api/v1/whatsapp/inject-incoming/", tag = "WhatsApp", security(("jwt" = [])), request_body = Object,
    responses((status = 200, description = "Injected"), (status = 400), (status = 401), (status = 404)))]
pub async fn inject_incoming(
    req: HttpRequest,
    auth: Auth,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let msg = dto::inject(&body.value(), true).map_err(|e| DomainError::BadRequest(e.0))?;
    let (m, _) = state
        .intake
        .receive(InboundTarget::SessionOf(auth.id), msg)
        .await?;
    Ok(ok(json!({
        "message": "Mensagem de teste injetada com sucesso",
        "message_id": m.message_id,
        "database_id": m.id,
        "data": state.out(&req, &m),
    })))
}

/// Legacy send (nothing stored).
#[utoipa::path(post, operation_id = "whatsapp_legacy_send", path = "/api/v1/whatsapp/messages", tag = "WhatsApp", security(("jwt" = [])), request_body = Object,
    responses((status = 202, description = "`{message_id}`"), (status = 400), (status = 401), (status = 403), (status = 423)))]
pub async fn legacy_send(
    auth: Perm<ManageWhatsapp>,
    state: State,
    body: Body,
) -> ApiResult<HttpResponse> {
    let (to, text, cid) = dto::legacy_send(&body.value())?;
    let who = caller(&auth);
    state
        .messages
        .legacy_ready(who)
        .await
        .map_err(|e| match e {
            DomainError::Locked(m) => ApiError::detail(StatusCode::LOCKED, m),
            other => other.into(),
        })?;
    let message_id = cid.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let id = message_id.clone();
    let messages = state.messages.clone();
    let handler = state.gateway_events.clone();
    actix_web::rt::spawn(async move {
        messages.send_unsaved(who, &handler, id, to, text).await;
    });
    Ok(accepted(json!({"message_id": message_id})))
}

/// Legacy start.
#[utoipa::path(post, operation_id = "whatsapp_legacy_start", path = "/api/v1/whatsapp/session/start", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 202, description = "`{status}`"), (status = 401), (status = 403)))]
pub async fn legacy_start(auth: Perm<ManageWhatsapp>, state: State) -> ApiResult<HttpResponse> {
    let status = state.sessions.start_legacy(caller(&auth)).await?;
    Ok(accepted(json!({"status": status})))
}

/// Legacy stop (POST or DELETE).
#[utoipa::path(post, operation_id = "whatsapp_legacy_stop", path = "/api/v1/whatsapp/session", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 204), (status = 401), (status = 403)))]
pub async fn legacy_stop(auth: Perm<ManageWhatsapp>, state: State) -> ApiResult<HttpResponse> {
    state.sessions.stop(caller(&auth)).await?;
    Ok(no_content())
}

/// Legacy status of the simulation.
#[utoipa::path(get, operation_id = "whatsapp_legacy_status", path = "/api/v1/whatsapp/session/status", tag = "WhatsApp", security(("jwt" = [])),
    responses((status = 200, description = "`{status}`"), (status = 401)))]
pub async fn legacy_status(auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let status = state.sessions.state_legacy(caller(&auth)).await;
    Ok(ok(json!({"status": status})))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/api/v1/whatsapp";
    cfg.service(
        Res::new(&format!("{base}/sessions/"), true)
            .get(sessions_list)
            .post(sessions_create)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/start/"), true)
            .post(sessions_start)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/stop/"), true)
            .post(sessions_stop)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/status/"), true)
            .get(sessions_status)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/import/"), true)
            .post(sessions_import)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/{{id}}/"), true)
            .get(sessions_detail)
            .put(sessions_put)
            .patch(sessions_patch)
            .delete(sessions_delete)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/{{id}}/metrics/"), true)
            .get(sessions_metrics)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/{{id}}/export/"), true)
            .get(sessions_export)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/sessions/{{id}}/reconnect/"), true)
            .post(sessions_reconnect)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/messages/"), true)
            .get(messages_list)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/messages/high-latency/"), true)
            .get(messages_high_latency)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/messages/latency-stats/"), true)
            .get(messages_latency_stats)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/messages/{{id}}/"), true)
            .get(messages_detail)
            .build(),
    )
    .service(Res::new(&format!("{base}/send/"), true).post(send).build())
    .service(
        Res::new(&format!("{base}/webhook/"), false)
            .post(webhook)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/inject-incoming/"), true)
            .post(inject_incoming)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/messages"), true)
            .post(legacy_send)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/session/start"), true)
            .post(legacy_start)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/session"), true)
            .post(legacy_stop)
            .delete(legacy_stop)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/session/status"), true)
            .get(legacy_status)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        sessions_list, sessions_create, sessions_detail, sessions_put, sessions_patch, sessions_delete,
        sessions_start, sessions_stop, sessions_status, sessions_metrics, sessions_export,
        sessions_import, sessions_reconnect, messages_list, messages_detail, messages_high_latency,
        messages_latency_stats, send, webhook, inject_incoming, legacy_send, legacy_start,
        legacy_stop, legacy_status,
    ),
    components(schemas(
        SessionListOut, SessionOut, SessionIn, MessageListOut, MessageOut, SendIn,
        Paginated<SessionListOut>, Paginated<MessageListOut>,
    ))
)]
pub struct AreaDoc;

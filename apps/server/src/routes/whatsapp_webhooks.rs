//! The real gateways' webhook receivers (contract §4.13): public, authenticated by what the
//! gateway sends — Evolution's `X-Webhook-Secret` header, Meta's `X-Hub-Signature-256` over
//! the raw body — both compared in constant time. A delivery is answered 200 only once what
//! it carries is stored (the gateway delivers again otherwise; repeats are deduplicated).
//! The receiver of a gateway that is not the configured one answers 404.

use crate::http::body::too_large;
use crate::http::page::query_pairs;
use crate::http::{ApiError, ApiResult, ok};
use crate::state::gateway::WebhookSettings;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use adapter_whatsapp::http::{meta_signature_valid, secrets_equal};
use adapter_whatsapp::{evolution, meta};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use whatsapp::feed::{FeedReport, GatewayFeed};
use whatsapp::ports::GatewayEvents;

/// Largest delivery accepted (Meta batches updates; media never comes inline).
pub const WEBHOOK_LIMIT: usize = 4 * 1024 * 1024;
/// Longest handshake challenge echoed.
const CHALLENGE_MAX: usize = 256;

type State = web::Data<Area>;

pub struct Area {
    feed: GatewayFeed,
    settings: WebhookSettings,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        let events: Arc<dyn GatewayEvents> = s.whatsapp.gateway_events.clone();
        Self {
            feed: GatewayFeed::new(s.whatsapp.intake.clone(), events),
            settings: s.whatsapp.webhooks.clone(),
        }
    }
}

fn unauthorized(msg: &str) -> ApiError {
    ApiError::detail(StatusCode::UNAUTHORIZED, msg)
}

/// The raw body, at most [`WEBHOOK_LIMIT`] bytes.
async fn raw_body(mut payload: web::Payload) -> ApiResult<web::Bytes> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::detail(StatusCode::BAD_REQUEST, "Corpo da requisição inválido.")
        })?;
        if buf.len() + chunk.len() > WEBHOOK_LIMIT {
            return Err(too_large("Corpo da requisição muito grande."));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn json_of(bytes: &[u8]) -> ApiResult<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::detail(StatusCode::BAD_REQUEST, format!("JSON parse error - {e}")))
}

fn answer(r: FeedReport) -> HttpResponse {
    ok(json!({
        "stored": r.stored,
        "duplicates": r.duplicates,
        "statuses": r.statuses,
        "connection": r.connection,
        "ignored": r.ignored,
    }))
}

/// Evolution API v2 events.
#[utoipa::path(post, operation_id = "whatsapp_webhook_evolution", path = "/api/v1/whatsapp/webhook/evolution/", tag = "WhatsApp",
    security(()), request_body = Object,
    params(("X-Webhook-Secret" = String, Header, description = "Must equal EVOLUTION_WEBHOOK_SECRET (set in the webhook the server registers)")),
    description = "Public: authenticated by the secret header, not a JWT. `messages.upsert` (stored through the same intake as the simulator's webhook, deduplicated by the message id), `messages.update` (delivery statuses), `connection.update` and `qrcode.updated`. Groups, broadcasts and our own messages are acknowledged and ignored.",
    responses((status = 200, description = "Stored, or acknowledged and ignored: `{stored, duplicates, statuses, connection, ignored}`"),
              (status = 400, description = "Not JSON"), (status = 401, description = "Missing or wrong secret"),
              (status = 404, description = "Evolution is not the configured gateway"), (status = 413),
              (status = 503, description = "No session to store into (retried by Evolution)")))]
pub async fn evolution(
    req: HttpRequest,
    state: State,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let Some(cfg) = &state.settings.evolution else {
        return Err(ApiError::not_found_route());
    };
    let given = req
        .headers()
        .get("x-webhook-secret")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !secrets_equal(given, cfg.secret.expose().as_bytes()) {
        return Err(unauthorized("Segredo do webhook ausente ou inválido."));
    }
    let body = json_of(&raw_body(payload).await?)?;
    let updates = evolution::payload::decode(&body, &cfg.instance, chrono::Utc::now());
    Ok(answer(state.feed.apply(updates).await?))
}

/// Meta's subscription handshake.
#[utoipa::path(get, operation_id = "whatsapp_webhook_meta_verify", path = "/api/v1/whatsapp/webhook/meta/", tag = "WhatsApp",
    security(()),
    params(("hub.mode" = String, Query), ("hub.verify_token" = String, Query, description = "Must equal META_VERIFY_TOKEN"),
           ("hub.challenge" = String, Query)),
    description = "Public. Answers the challenge as text/plain when the mode is `subscribe` and the token matches.",
    responses((status = 200, description = "The challenge", content_type = "text/plain"),
              (status = 403, description = "Wrong mode or token"),
              (status = 404, description = "Meta is not the configured gateway")))]
pub async fn meta_verify(req: HttpRequest, state: State) -> ApiResult<HttpResponse> {
    let Some(cfg) = &state.settings.meta else {
        return Err(ApiError::not_found_route());
    };
    let q = query_pairs(&req);
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let challenge = get("hub.challenge");
    if get("hub.mode") == "subscribe"
        && secrets_equal(
            get("hub.verify_token").as_bytes(),
            cfg.verify_token.expose().as_bytes(),
        )
        && !challenge.is_empty()
        && challenge.len() <= CHALLENGE_MAX
    {
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(challenge.to_string()));
    }
    Err(ApiError::detail(
        StatusCode::FORBIDDEN,
        "Verificação do webhook recusada.",
    ))
}

/// Meta Cloud API deliveries: messages and statuses.
#[utoipa::path(post, operation_id = "whatsapp_webhook_meta", path = "/api/v1/whatsapp/webhook/meta/", tag = "WhatsApp",
    security(()), request_body = Object,
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body with META_APP_SECRET>")),
    description = "Public: the signature is checked over the raw body before it is parsed. `messages` (stored through the same intake as the simulator's webhook, deduplicated by wamid) and `statuses` (only move forward).",
    responses((status = 200, description = "Stored, or acknowledged and ignored: `{stored, duplicates, statuses, connection, ignored}`"),
              (status = 400, description = "Not JSON"), (status = 401, description = "Missing or bad signature"),
              (status = 404, description = "Meta is not the configured gateway"), (status = 413),
              (status = 503, description = "No session to store into (retried by Meta)")))]
pub async fn meta_events(
    req: HttpRequest,
    state: State,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let Some(cfg) = &state.settings.meta else {
        return Err(ApiError::not_found_route());
    };
    let raw = raw_body(payload).await?;
    let signature = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !meta_signature_valid(cfg.app_secret.expose().as_bytes(), signature, &raw) {
        return Err(unauthorized("Assinatura do webhook ausente ou inválida."));
    }
    let body = json_of(&raw)?;
    let updates = meta::payload::decode(&body, &cfg.phone_number_id, chrono::Utc::now());
    Ok(answer(state.feed.apply(updates).await?))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::middleware::Res;
    let base = "/api/v1/whatsapp/webhook";
    cfg.service(
        Res::new(&format!("{base}/evolution/"), false)
            .post(evolution)
            .build(),
    )
    .service(
        Res::new(&format!("{base}/meta/"), false)
            .get(meta_verify)
            .post(meta_events)
            .build(),
    );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(evolution, meta_verify, meta_events))]
pub struct AreaDoc;

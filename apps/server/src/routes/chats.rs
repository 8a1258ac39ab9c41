//! Chats (contract §4.6): an atendimento addressed by its `chat_id` — the agents' list,
//! detail and message window, and the accept / transfer / close actions. Non-superusers see
//! their own chats and the waiting ones.

use crate::dto::atendimento_events as ev;
use crate::dto::chats::{
    self as dto, AceitarIn, ChatDetailOut, ChatEncerradoOut, ChatListItemOut, ChatMessageOut,
    ChatMessagesOut, ChatTransferidoOut, DestinoOut, EncerrarIn,
};
use crate::dto::{atendimento::TransferirIn, atendimento_form};
use crate::http::middleware::Res;
use crate::http::page::query_pairs;
use crate::http::{ApiResult, Auth, Body, ok};
use crate::routes::whatsapp::caller;
use actix_web::{HttpRequest, HttpResponse, web};
use atendimento::chats::ChatService;
use std::sync::Arc;

type State = web::Data<Area>;

/// What this area's handlers use.
pub struct Area {
    pub chats: Arc<ChatService>,
    pub pages: Arc<crate::routes::chat_pages::ChatPages>,
    /// Signed links to a message's stored media.
    pub links: Arc<crate::routes::media::MediaFiles>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            chats: s.atendimento.chats.clone(),
            pages: s.chat_pages.clone(),
            links: s.media.clone(),
        }
    }
}

/// The agents' chat list, one row per atendimento.
#[utoipa::path(get, operation_id = "chats_list", path = "/api/v1/chats/", tag = "Chats", security(("jwt" = [])),
    params(("status" = Option<String>, Query, description = "Exact status; default: every status except finalizado"),
           ("atendente" = Option<i64>, Query), ("departamento" = Option<i64>, Query),
           ("sort" = Option<String>, Query, description = "lastMessage (default), priority, created, updated"),
           ("order" = Option<String>, Query, description = "asc or desc (default)"),
           ("limit" = Option<u64>, Query, description = "Decided extension: one page of at most this many rows (default 50, at most 500) when limit or offset is given; without both, the whole list"),
           ("offset" = Option<u64>, Query, description = "Decided extension: rows skipped (default 0)")),
    responses((status = 200, body = Vec<ChatListItemOut>), (status = 400), (status = 401)))]
pub async fn chats_list(req: HttpRequest, auth: Auth, state: State) -> ApiResult<HttpResponse> {
    let filter = dto::chat_filter(&query_pairs(&req))?;
    let caller = caller(&auth);
    // The version first: a page read after it is at least as new as it (see `chat_pages`).
    let version = state.chats.list_version().await?;
    let key = ChatService::scoped(caller, filter.clone());
    if let Some(body) = version.and_then(|v| state.pages.get(&key, v)) {
        return Ok(json_body(body));
    }
    let list = state.chats.list(caller, filter).await?;
    let items: Vec<ChatListItemOut> = list.iter().map(ChatListItemOut::from).collect();
    let body = web::Bytes::from(serde_json::to_vec(&items).map_err(kernel::DomainError::internal)?);
    if let Some(v) = version {
        state.pages.put(key, v, body.clone());
    }
    Ok(json_body(body))
}

fn json_body(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// An open chat (aguardando, em_atendimento, pausado).
#[utoipa::path(get, operation_id = "chats_detail", path = "/api/v1/chats/{chat_id}/", tag = "Chats", security(("jwt" = [])),
    params(("chat_id" = String, Path)),
    responses((status = 200, body = ChatDetailOut), (status = 401), (status = 403), (status = 404)))]
pub async fn chats_detail(
    auth: Auth,
    state: State,
    chat_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let a = state.chats.detail(caller(&auth), &chat_id).await?;
    Ok(ok(ChatDetailOut::of(&a, state.chats.now())))
}

/// The chat's messages (from the one that opened the atendimento on), newest first.
#[utoipa::path(get, operation_id = "chats_messages", path = "/api/v1/chats/{chat_id}/messages/", tag = "Chats", security(("jwt" = [])),
    params(("chat_id" = String, Path), ("limit" = Option<u64>, Query, description = "Default 50"),
           ("offset" = Option<u64>, Query, description = "Default 0")),
    responses((status = 200, body = ChatMessagesOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn chats_messages(
    req: HttpRequest,
    auth: Auth,
    state: State,
    chat_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let window = dto::message_window(&query_pairs(&req))?;
    let (total, list) = state
        .chats
        .messages(caller(&auth), &chat_id, window)
        .await?;
    Ok(ok(ChatMessagesOut {
        total,
        limit: window.limit,
        offset: window.offset,
        results: list
            .iter()
            .map(|m| {
                let mut out = ChatMessageOut::from(m);
                // Stored media (a gateway's inbound file) as a signed, expiring link.
                if let Some(path) = crate::dto::whatsapp::stored_media_path(&out.media_url) {
                    out.media_url = crate::dto::media_link(&state.links, Some(&req), path);
                }
                out
            })
            .collect(),
    }))
}

/// Accept a waiting chat (exactly one of concurrent accepts wins).
#[utoipa::path(post, operation_id = "chats_aceitar", path = "/api/v1/chats/{chat_id}/aceitar/", tag = "Chats", security(("jwt" = [])),
    params(("chat_id" = String, Path)), request_body = AceitarIn,
    responses((status = 200, body = ChatDetailOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn chats_aceitar(
    auth: Auth,
    state: State,
    chat_id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let cmd = dto::aceitar(body.object()?)?;
    let a = state.chats.aceitar(caller(&auth), &chat_id, cmd).await?;
    Ok(ok(ChatDetailOut::of(&a, state.chats.now())))
}

/// Transfer a chat to another agent (and department).
#[utoipa::path(post, operation_id = "chats_transferir", path = "/api/v1/chats/{chat_id}/transferir/", tag = "Chats", security(("jwt" = [])),
    params(("chat_id" = String, Path)), request_body = TransferirIn,
    responses((status = 200, body = ChatTransferidoOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn chats_transferir(
    auth: Auth,
    state: State,
    chat_id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let cmd = atendimento_form::transferir(body.object()?)?;
    let (t, destino) = state.chats.transferir(caller(&auth), &chat_id, cmd).await?;
    Ok(ok(ChatTransferidoOut {
        message: "Chat transferido com sucesso",
        transferencia_id: t.id,
        atendente_destino: DestinoOut {
            id: destino.id,
            nome: destino.display_name,
        },
    }))
}

/// Close a chat.
#[utoipa::path(post, operation_id = "chats_encerrar", path = "/api/v1/chats/{chat_id}/encerrar/", tag = "Chats", security(("jwt" = [])),
    params(("chat_id" = String, Path)), request_body = EncerrarIn,
    responses((status = 200, body = ChatEncerradoOut), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn chats_encerrar(
    auth: Auth,
    state: State,
    chat_id: web::Path<String>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let observacoes = dto::encerrar(body.object()?)?;
    let a = state
        .chats
        .encerrar(caller(&auth), &chat_id, observacoes)
        .await?;
    Ok(ok(ChatEncerradoOut {
        message: "Chat encerrado com sucesso",
        atendimento_id: a.id,
        finalizado_em: a.finalizado_em.map(dto::utc_z),
    }))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/api/v1/chats";
    cfg.service(Res::new(&format!("{base}/"), true).get(chats_list).build())
        .service(
            Res::new(&format!("{base}/{{chat_id}}/"), true)
                .get(chats_detail)
                .build(),
        )
        .service(
            Res::new(&format!("{base}/{{chat_id}}/messages/"), true)
                .get(chats_messages)
                .build(),
        )
        .service(
            Res::new(&format!("{base}/{{chat_id}}/aceitar/"), true)
                .post(chats_aceitar)
                .build(),
        )
        .service(
            Res::new(&format!("{base}/{{chat_id}}/transferir/"), true)
                .post(chats_transferir)
                .build(),
        )
        .service(
            Res::new(&format!("{base}/{{chat_id}}/encerrar/"), true)
                .post(chats_encerrar)
                .build(),
        );
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`), with the schemas of
/// the atendimento area's WebSocket events.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        chats_list,
        chats_detail,
        chats_messages,
        chats_aceitar,
        chats_transferir,
        chats_encerrar
    ),
    components(schemas(
        ChatListItemOut,
        ChatDetailOut,
        ChatMessageOut,
        ChatMessagesOut,
        AceitarIn,
        EncerrarIn,
        TransferirIn,
        ChatTransferidoOut,
        DestinoOut,
        ChatEncerradoOut,
        ev::WsEventChatAssigned,
        ev::WsEventChatTransferred,
        ev::WsEventChatAutoClosed,
        ev::WsEventChatAccepted,
        ev::WsEventChatClosed,
        ev::WsEventNewChat,
        ev::WsEventNewMessage,
    ))
)]
pub struct AreaDoc;

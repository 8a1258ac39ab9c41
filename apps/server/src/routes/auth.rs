//! Autenticação: token, refresh, me (contract §4.1).

use crate::dto;
use crate::http::client_ip::TrustedProxies;
use crate::http::middleware::Res;
use crate::http::{ApiResult, Auth, Body, MaybeAuth, body, ok};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, dev, web};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

/// What this area's handlers use.
pub struct Area {
    pub auth: std::sync::Arc<authz::AuthService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            auth: s.auth.clone(),
        }
    }
}

pub use crate::dto::authz::{RefreshRequest, TokenRequest};

#[derive(Serialize, ToSchema)]
pub struct TokenPairOut {
    pub refresh: String,
    pub access: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessOut {
    pub access: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
}

/// Largest login body: a username has at most 150 characters, and nothing larger than this
/// needs to reach the login code (nor be held in memory by an anonymous caller).
pub const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// The login body, read through the common parser with [`LOGIN_BODY_LIMIT`]: a larger
/// announced `Content-Length` is a 413 before anything is read; a longer chunked body stops
/// at the limit and is refused (400).
async fn login_body(req: &HttpRequest, payload: web::Payload) -> ApiResult<Body> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > LOGIN_BODY_LIMIT as u64) {
        return Err(body::too_large("Corpo da requisição muito grande."));
    }
    let mut seen = 0usize;
    let limited = payload.into_inner().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > LOGIN_BODY_LIMIT {
            Err(PayloadError::Overflow)
        } else {
            Ok(chunk)
        }
    });
    body::read(
        req,
        dev::Payload::Stream {
            payload: Box::pin(limited),
        },
    )
    .await
}

/// Obtain a JWT pair.
#[utoipa::path(post, operation_id = "auth_token", path = "/api/v1/auth/token/", tag = "Autenticação", request_body = TokenRequest,
    responses((status = 200, body = TokenPairOut), (status = 400, description = "Missing fields"),
              (status = 401, description = "Wrong credentials"), (status = 413, description = "Body over 16 KiB"), (status = 429, description = "Too many failed attempts")))]
pub async fn token(
    req: HttpRequest,
    _who: MaybeAuth,
    state: web::Data<Area>,
    trusted: web::Data<TrustedProxies>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = login_body(&req, payload).await?;
    let client = trusted.client_of(&req);
    let cmd = dto::authz::login(&body.value(), &client)?;
    let pair = state.auth.login(cmd).await?;
    Ok(ok(TokenPairOut {
        refresh: pair.refresh,
        access: pair.access,
    }))
}

/// Refresh an access token.
#[utoipa::path(post, operation_id = "auth_refresh", path = "/api/v1/auth/refresh/", tag = "Autenticação", request_body = RefreshRequest,
    responses((status = 200, body = AccessOut), (status = 400), (status = 401)))]
pub async fn refresh(
    _who: MaybeAuth,
    state: web::Data<Area>,
    body: Body,
) -> ApiResult<HttpResponse> {
    let access = state
        .auth
        .refresh(dto::authz::refresh(&body.value())?)
        .await?;
    Ok(ok(AccessOut { access }))
}

/// The authenticated user.
#[utoipa::path(get, operation_id = "auth_me", path = "/api/v1/me/", tag = "Autenticação", security(("jwt" = [])),
    responses((status = 200, body = MeOut), (status = 401)))]
pub async fn me(auth: Auth) -> HttpResponse {
    ok(MeOut {
        id: auth.id,
        username: auth.username.clone(),
        email: auth.email.clone(),
        display_name: auth.display_name.clone(),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Res::new("/api/v1/auth/token/", false).post(token).build())
        .service(
            Res::new("/api/v1/auth/refresh/", false)
                .post(refresh)
                .build(),
        )
        .service(Res::new("/api/v1/me/", true).get(me).build());
}

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(token, refresh, me,),
    components(schemas(TokenRequest, TokenPairOut, RefreshRequest, AccessOut, MeOut,))
)]
pub struct AreaDoc;

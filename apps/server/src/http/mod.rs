//! HTTP plumbing shared by every route module: errors, authentication, request bodies,
//! pagination and middleware.

pub mod auth;
pub mod body;
pub mod client_ip;
pub mod error;
pub mod middleware;
pub mod page;
pub mod uri_guard;

pub use auth::{Auth, MaybeAuth};
pub use body::Body;
pub use error::{ApiError, ApiResult};

use actix_web::HttpResponse;
use serde::Serialize;

/// 200 with a JSON body (non-ASCII unescaped, as serde_json does by default).
pub fn ok<T: Serialize>(v: T) -> HttpResponse {
    HttpResponse::Ok().json(v)
}

/// 201 with a JSON body.
pub fn created<T: Serialize>(v: T) -> HttpResponse {
    HttpResponse::Created().json(v)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Parses a resource id from the path: non-numeric → `404 {"detail":"Não encontrado."}`.
pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found_route())
}

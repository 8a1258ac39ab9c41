//! `/media/<path>`: customer files need a Bearer token or a signed, expiring link; appearance
//! files are public.

use crate::http::{ApiError, MaybeAuth};
use crate::state::AppState;
use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use adapter_storage::{content_type_for, is_public, serve_as_attachment};

/// A stored file. Customer files (`clientes/…`) need a Bearer token or a signed link
/// (`?exp=…&sig=…`, as returned in `arquivo`/`logo` fields); `appearance/…` files are public.
#[utoipa::path(get, operation_id = "media_serve", path = "/media/{path}", tag = "Documentos",
    params(("path" = String, Path, description = "Path relative to MEDIA_ROOT"),
           ("exp" = Option<i64>, Query, description = "Signed link expiry (unix seconds)"),
           ("sig" = Option<String>, Query, description = "Signed link signature")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
              (status = 401), (status = 404)))]
pub async fn serve(
    req: HttpRequest,
    who: MaybeAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let now = chrono::Utc::now().timestamp();
    let allowed = is_public(&path)
        || who.0.is_some()
        || state.signer.verify_query(&path, req.query_string(), now);
    if !allowed {
        return Err(ApiError::NoCredentials);
    }
    let file = state
        .storage
        .resolve_existing(&path)
        .await
        .ok_or_else(ApiError::not_found_route)?;
    let named = NamedFile::open_async(&file)
        .await
        .map_err(|_| ApiError::not_found_route())?;
    let name = path.rsplit('/').next().unwrap_or("arquivo").to_string();
    let disposition = ContentDisposition {
        disposition: if serve_as_attachment(&path) {
            DispositionType::Attachment
        } else {
            DispositionType::Inline
        },
        parameters: vec![DispositionParam::Filename(name)],
    };
    let mut resp = named
        .set_content_type(content_type_for(&path).parse().unwrap_or(mime_octet()))
        .set_content_disposition(disposition)
        .respond_to(&req)
        .map_into_boxed_body();
    resp.headers_mut().insert(
        actix_web::http::header::X_CONTENT_TYPE_OPTIONS,
        actix_web::http::header::HeaderValue::from_static("nosniff"),
    );
    if !is_public(&path) {
        resp.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("private, no-store"),
        );
    }
    Ok(resp)
}

fn mime_octet() -> actix_web::mime::Mime {
    actix_web::mime::APPLICATION_OCTET_STREAM
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/media/{path:.+}")
            .route(web::get().to(serve))
            .route(web::head().to(serve)),
    );
}

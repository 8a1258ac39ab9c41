//! `/media/<path>`: customer files need a Bearer token or a signed, expiring link; appearance
//! files are public.

use crate::http::{ApiError, MaybeAuth};
use actix_files::NamedFile;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use adapter_storage::{content_type_for, is_public, serve_as_attachment};
use documentos::DocumentoScope;

/// Stored files as the media area serves them: signed links (issue and check) and the local
/// file behind a path. Handlers use this service, not the storage adapter or the signer.
pub struct MediaFiles {
    signer: adapter_storage::MediaUrlSigner,
    storage: std::sync::Arc<adapter_storage::LocalFileStorage>,
}

impl MediaFiles {
    pub fn new(
        signer: adapter_storage::MediaUrlSigner,
        storage: std::sync::Arc<adapter_storage::LocalFileStorage>,
    ) -> Self {
        Self { signer, storage }
    }

    /// A `/media/...` link to `path`, signed for `ttl_secs` unless the file is public.
    pub fn link(&self, path: &str, ttl_secs: i64, now_unix: i64) -> String {
        self.signer.media_url(path, ttl_secs, now_unix)
    }

    /// Whether `query` holds a valid, unexpired signature for `path`.
    pub fn verify_link(&self, path: &str, query: &str, now_unix: i64) -> bool {
        self.signer.verify_query(path, query, now_unix)
    }

    /// The stored file at `path`, if it exists (and stays under the media root).
    pub async fn resolve(&self, path: &str) -> Option<std::path::PathBuf> {
        self.storage.resolve_existing(path).await
    }
}

/// What this area's handlers use.
pub struct Area {
    pub files: std::sync::Arc<MediaFiles>,
    pub documentos: std::sync::Arc<documentos::DocumentoService>,
    pub clientes: std::sync::Arc<clientes::service::ClienteService>,
    pub messages: std::sync::Arc<whatsapp::messages::MessageService>,
}

impl Area {
    pub fn new(s: &crate::state::Services) -> Self {
        Self {
            files: s.media.clone(),
            documentos: s.documentos.clone(),
            clientes: s.clientes.clone(),
            messages: s.whatsapp.messages.clone(),
        }
    }
}

/// A stored file. Customer files (`clientes/…`) need a Bearer token or a signed link
/// (`?exp=…&sig=…`, as returned in `arquivo`/`logo` fields), and are served only while the
/// documento or cliente they belong to is within the caller's scope (a signed link: while it
/// exists and is active), else 404; a WhatsApp message's media (`whatsapp/media/…`) while
/// the message exists; `appearance/…` files are public.
#[utoipa::path(get, operation_id = "media_serve", path = "/media/{path}", tag = "Documentos",
    params(("path" = String, Path, description = "Path relative to MEDIA_ROOT"),
           ("exp" = Option<i64>, Query, description = "Signed link expiry (unix seconds)"),
           ("sig" = Option<String>, Query, description = "Signed link signature")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
              (status = 401), (status = 404)))]
pub async fn serve(
    req: HttpRequest,
    who: MaybeAuth,
    state: web::Data<Area>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    if !is_public(&path) {
        let now = chrono::Utc::now().timestamp();
        // A signed link was issued with the row it belongs to, to someone who could see it: it
        // stands for that row's scope, but the row must still exist (and be active).
        let signed = state.files.verify_link(&path, req.query_string(), now);
        let caller = match (&who.0, signed) {
            (_, true) => Caller::Signed,
            (Some(p), false) => Caller::Agent {
                id: p.id,
                superuser: p.is_superuser,
            },
            (None, false) => return Err(ApiError::NoCredentials),
        };
        if !may_serve(&state, &path, caller).await? {
            return Err(ApiError::not_found_route());
        }
    }
    let file = state
        .files
        .resolve(&path)
        .await
        .ok_or_else(ApiError::not_found_route)?;
    let named = NamedFile::open(&file).map_err(|_| ApiError::not_found_route())?;
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

/// Who asks for a customer file.
#[derive(Clone, Copy)]
enum Caller {
    /// A valid signed link: any caller, the file's row decides.
    Signed,
    Agent {
        id: i64,
        superuser: bool,
    },
}

/// Customer files are served under the rules of the row they belong to: a documento's file
/// with the documento's scope and `ativo` rule, a cliente's image with the cliente's scope.
/// A file that belongs to no such row (replaced, deleted, or never recorded) is not served.
async fn may_serve(state: &Area, path: &str, caller: Caller) -> Result<bool, ApiError> {
    let (scope, owner) = match caller {
        Caller::Signed => (DocumentoScope::Superuser, None),
        Caller::Agent { id, superuser } => (
            DocumentoScope::for_user(id, superuser),
            (!superuser).then_some(id),
        ),
    };
    if path.starts_with(documentos::STORAGE_DIR) {
        return Ok(state.documentos.arquivo_acessivel(path, &scope).await?);
    }
    if path.starts_with(clientes::cliente::IMAGES_DIR) {
        return Ok(state.clientes.imagem_acessivel(path, owner).await?);
    }
    // A customer's WhatsApp media: any agent may serve the chat it belongs to.
    if path.starts_with(whatsapp::intake::MEDIA_DIR) {
        return Ok(state
            .messages
            .media_stored(&format!("/media/{path}"))
            .await?);
    }
    Ok(false)
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

/// This area's part of the OpenAPI document (merged in `crate::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(serve,))]
pub struct AreaDoc;

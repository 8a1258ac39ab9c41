//! Wire representations (Portuguese field names exactly as the contract) shared by routes.

pub mod authz;
pub mod chat;
pub mod clientes;
pub mod contatos;
pub mod documentos;

use crate::state::AppState;
use actix_web::HttpRequest;

/// Lifetime of signed media links.
pub const LINK_TTL_SECS: i64 = 3600;

/// Link to a stored file: signed and expiring unless the file is public (appearance);
/// absolute (`http://<host>/media/...`) when `req` is given, else relative (`/media/...`).
pub fn media_link(state: &AppState, req: Option<&HttpRequest>, path: &str) -> String {
    let rel = state
        .signer
        .media_url(path, LINK_TTL_SECS, chrono::Utc::now().timestamp());
    match req {
        Some(req) => {
            let info = req.connection_info();
            format!("{}://{}{}", info.scheme(), info.host(), rel)
        }
        None => rel,
    }
}

//! Wire representations (Portuguese field names exactly as the contract) shared by routes.

pub mod atendimento;
pub mod atendimento_events;
pub mod atendimento_form;
pub mod authz;
pub mod chat;
pub mod chats;
pub mod cliente_form;
pub mod clientes;
pub mod config;
mod config_fields;
pub mod config_form;
pub mod contatos;
pub mod documento_form;
pub mod documentos;
pub mod events;
pub mod presence;
pub mod whatsapp;
pub mod whatsapp_inbound;

use crate::routes::media::MediaFiles;
use actix_web::HttpRequest;

/// Lifetime of signed media links.
pub const LINK_TTL_SECS: i64 = 3600;

/// Link to a stored file: signed and expiring unless the file is public (appearance);
/// absolute (`http://<host>/media/...`) when `req` is given, else relative (`/media/...`).
pub fn media_link(files: &MediaFiles, req: Option<&HttpRequest>, path: &str) -> String {
    let rel = files.link(path, LINK_TTL_SECS, chrono::Utc::now().timestamp());
    match req {
        Some(req) => {
            let info = req.connection_info();
            format!("{}://{}{}", info.scheme(), info.host(), rel)
        }
        None => rel,
    }
}

//! Wire representations (Portuguese field names exactly as the contract) shared by routes.

pub mod clientes;

use actix_web::HttpRequest;

/// Absolute media URL: `http://<host>/media/<path>`.
pub fn media_url(req: &HttpRequest, path: &str) -> String {
    let info = req.connection_info();
    format!(
        "{}://{}/media/{}",
        info.scheme(),
        info.host(),
        path.trim_start_matches('/')
    )
}

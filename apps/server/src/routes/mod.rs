//! One module per area; each exposes `configure`.

pub mod auth;
pub mod authz;
pub mod clientes;
pub mod config;
pub mod contatos;
pub mod docs;
pub mod documentos;
pub mod integrations;
pub mod media;

use actix_web::web;

/// Registers every API route (docs pages first, so the `/api` routes never swallow them).
pub fn configure(cfg: &mut web::ServiceConfig) {
    docs::configure(cfg);
    auth::configure(cfg);
    clientes::configure(cfg);
    contatos::configure(cfg);
    integrations::configure(cfg);
    documentos::configure(cfg);
    config::configure(cfg);
    media::configure(cfg);
    authz::configure(cfg);
}

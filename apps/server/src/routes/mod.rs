//! One module per area; each has its `Area` state (the services its handlers use, built from
//! [`Services`]), its `configure` (routes) and its `AreaDoc` (OpenAPI).

pub mod atendimento;
pub mod auth;
pub mod authz;
pub mod automacoes;
pub mod chat_pages;
pub mod chats;
pub mod clientes;
pub mod config;
pub mod contatos;
pub mod docs;
pub mod documentos;
pub mod integrations;
pub mod media;
pub mod presence;
pub mod relatorios;
pub mod whatsapp;
pub mod whatsapp_webhooks;
pub mod ws;

use crate::state::Services;
use actix_web::web;

/// Registers every area's state and routes (docs pages first, so the `/api` routes never
/// swallow them). A new area adds its two lines here.
pub fn configure(cfg: &mut web::ServiceConfig, s: &Services) {
    cfg.app_data(web::Data::new(docs::Area::new(s)));
    docs::configure(cfg);
    cfg.app_data(web::Data::new(auth::Area::new(s)));
    auth::configure(cfg);
    cfg.app_data(web::Data::new(clientes::Area::new(s)));
    clientes::configure(cfg);
    cfg.app_data(web::Data::new(contatos::Area::new(s)));
    contatos::configure(cfg);
    cfg.app_data(web::Data::new(integrations::Area::new(s)));
    integrations::configure(cfg);
    cfg.app_data(web::Data::new(documentos::Area::new(s)));
    documentos::configure(cfg);
    cfg.app_data(web::Data::new(config::Area::new(s)));
    config::configure(cfg);
    cfg.app_data(web::Data::new(media::Area::new(s)));
    media::configure(cfg);
    cfg.app_data(web::Data::new(authz::Area::new(s)));
    authz::configure(cfg);
    cfg.app_data(web::Data::new(whatsapp::Area::new(s)));
    whatsapp::configure(cfg);
    cfg.app_data(web::Data::new(whatsapp_webhooks::Area::new(s)));
    whatsapp_webhooks::configure(cfg);
    cfg.app_data(web::Data::new(presence::Area::new(s)));
    presence::configure(cfg);
    cfg.app_data(web::Data::new(ws::Area::new(s)));
    ws::configure(cfg);
    cfg.app_data(web::Data::new(chats::Area::new(s)));
    chats::configure(cfg);
    cfg.app_data(web::Data::new(atendimento::Area::new(s)));
    atendimento::configure(cfg);
    cfg.app_data(web::Data::new(automacoes::Area::new(s)));
    automacoes::configure(cfg);
    cfg.app_data(web::Data::new(relatorios::Area::new(s)));
    relatorios::configure(cfg);
}

//! sea-orm entities. They never leave this crate: repositories map them to domain types.

pub mod agent;
pub mod agent_group;
pub mod app_config;
pub mod app_setting;
pub mod auth_group;
pub mod cliente;
pub mod contato;
pub mod documento;
pub mod group_permission;
pub mod grupo_empresa;
pub mod whatsapp_message;
pub mod whatsapp_session;

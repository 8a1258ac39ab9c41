//! Database migrations of DX Connect, one file per change. A migration that has landed is
//! never edited: changes go into a new file appended to [`Migrator::migrations`].

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_documentos_config;
mod m20261126_000003_cliente_counters_search;
mod m20261126_000004_cliente_write_path;
mod m20261201_000005_agent_token_version;
mod m20261201_000006_media_lookup;
mod m20261202_000007_whatsapp;
mod m20261202_000008_atendimento;
mod m20261202_000009_presence;
mod m20261202_000010_whatsapp_identity;
mod m20261202_000011_chat_list_order;
mod m20261203_000012_search_indexes;
mod m20261203_000013_cliente_row_count;
mod m20261203_000014_chat_list_version;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_documentos_config::Migration),
            Box::new(m20261126_000003_cliente_counters_search::Migration),
            Box::new(m20261126_000004_cliente_write_path::Migration),
            Box::new(m20261201_000005_agent_token_version::Migration),
            Box::new(m20261201_000006_media_lookup::Migration),
            Box::new(m20261202_000007_whatsapp::Migration),
            Box::new(m20261202_000008_atendimento::Migration),
            Box::new(m20261202_000009_presence::Migration),
            Box::new(m20261202_000010_whatsapp_identity::Migration),
            Box::new(m20261202_000011_chat_list_order::Migration),
            Box::new(m20261203_000012_search_indexes::Migration),
            Box::new(m20261203_000013_cliente_row_count::Migration),
            Box::new(m20261203_000014_chat_list_version::Migration),
        ]
    }
}

//! sea-orm persistence adapter: connection set-up, migrations and every repository port of
//! the authz and clientes domains, on SQLite and PostgreSQL alike.

mod agent_repo;
mod atendimento_repo;
mod cliente_repo;
mod config_repo;
mod connection;
mod contato_repo;
mod database;
mod documento_repo;
mod entities;
mod group_repo;
mod grupo_repo;
mod job_lock;
mod presence_repo;
mod settings;
mod support;
mod unit_of_work;
mod whatsapp_repo;
mod writer;

pub use agent_repo::SeaOrmAgentRepository;
pub use atendimento_repo::{
    SeaOrmAgentDirectory, SeaOrmAtendimentoRepository, SeaOrmAutomacoesRepository,
    SeaOrmAutomationMarks, SeaOrmChatRepository, SeaOrmDepartamentoRepository,
    SeaOrmFilaRepository, SeaOrmIntakeRepository, SeaOrmRelatorioRepository,
};
pub use cliente_repo::SeaOrmClienteRepository;
pub use config_repo::SeaOrmConfigRepository;
pub use connection::{
    SYNCHRONOUS_VAR, Synchronous, backup, connect, connect_with, flush_wal, migrate,
};
pub use contato_repo::SeaOrmContatoRepository;
pub use database::Database;
pub use documento_repo::SeaOrmDocumentoRepository;
pub use group_repo::SeaOrmGroupRepository;
pub use grupo_repo::SeaOrmGrupoEmpresaRepository;
pub use job_lock::SeaOrmJobLock;
pub use presence_repo::{PRESENCE_TICK_LOCK, SeaOrmPresenceRepository};
pub use sea_orm::{DatabaseConnection, DbErr};
pub use settings::SeaOrmSettings;
pub use unit_of_work::SeaOrmUnitOfWork;
pub use whatsapp_repo::{SeaOrmMessageRepository, SeaOrmSessionRepository};
pub use writer::{Hold, MAX_BATCH, Writer};

//! What every use case of the area shares: its ports.

use crate::ports::{
    AgentDirectory, AtendimentoRepository, ChatRepository, DepartamentoRepository, FilaRepository,
    IntakeRepository,
};
use kernel::{CacheInvalidation, Clock, EventPublisher};
use std::sync::Arc;

#[derive(Clone)]
pub struct Deps {
    pub departamentos: Arc<dyn DepartamentoRepository>,
    pub filas: Arc<dyn FilaRepository>,
    pub atendimentos: Arc<dyn AtendimentoRepository>,
    pub chats: Arc<dyn ChatRepository>,
    pub agents: Arc<dyn AgentDirectory>,
    pub intake: Arc<dyn IntakeRepository>,
    pub events: Arc<dyn EventPublisher>,
    /// Tells the clientes' caches about clientes the intake created.
    pub invalidations: Arc<dyn CacheInvalidation>,
    pub clock: Arc<dyn Clock>,
}

/// The clientes list cache (`adapter-cache`'s `CLIENTE_LISTS`).
pub const CLIENTE_LISTS: &str = "clientes.lists";

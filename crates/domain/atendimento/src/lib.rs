//! The atendimento area (contract §3 ChatListItem…Presence, §4.6–§4.8, §5.3 B/C, §6).
//!
//! - [`model`]: departamentos, queue rows, atendimentos (= chats), transfers.
//! - [`commands`]: the typed commands and filters the edge builds.
//! - [`ports`]: repositories whose concurrency rules the database enforces, the agent
//!   directory and the intake repository — plus `kernel::EventPublisher`, `kernel::Clock`.
//! - [`distribution`]: who gets which queue row (a pure function).
//! - [`events`]: the typed real-time events, in the contract's exact envelopes.
//! - use cases: [`departamentos`] (departamentos, filas, `distribuir`), [`atendimentos`],
//!   [`chats`], [`intake::ChatIntake`] (the WhatsApp area's inbound/outbound handler),
//!   [`auto_close::AutoClose`] (the inactivity job).
//! - [`automacoes`] (with [`horario`]): the automatic messages of the chat settings.
//! - [`relatorios`]: the reports (GROUP BY in the database).
//! - [`presenca`]: agent presence, typing indicators and notification preferences (§4.8).

pub mod atendimentos;
pub mod auto_close;
pub mod automacoes;
pub mod chats;
pub mod commands;
pub mod departamentos;
pub mod distribution;
pub mod events;
pub mod horario;
pub mod intake;
pub mod model;
pub mod ports;
pub mod presenca;
pub mod relatorios;
pub mod service;

pub use model::{Atendimento, Departamento, FilaItem, Prioridade, Status, Transferencia};

#[cfg(test)]
mod automacoes_tests;
#[cfg(test)]
mod service_tests;

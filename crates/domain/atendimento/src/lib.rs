//! The atendimento area (contract §3 ChatListItem…Presence, §4.6–§4.8, §5.3 B/C, §6).
//!
//! - [`presenca`]: agent presence, typing indicators and notification preferences (§4.8).

pub mod presenca;

//! Agents (users), groups and permissions; login, refresh and access-token rules.

pub mod agents;
pub mod auth;
pub mod commands;
pub mod groups;
pub mod model;
pub mod permissions;
pub mod ports;
pub mod throttle;
pub mod throttle_port;

pub use auth::{AuthFailure, AuthService, Principal, TokenPair};
pub use model::{Agent, Group, NewAgent};
pub use throttle_port::{Attempt, LoginAttempts, ThrottleLimit};

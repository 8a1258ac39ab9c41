//! WhatsApp gateway adapters. [`SimulatorGateway`] is the default (contract §4.5): a
//! simulated connection per user, driven through the same ports a real gateway uses.

mod simulator;

pub use simulator::{SimulatorGateway, step_from_env};

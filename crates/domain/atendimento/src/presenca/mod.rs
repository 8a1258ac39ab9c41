//! Presence, typing indicators and notification preferences (contract §4.8).

//! eidas-connector library: the French eIDAS connector.

pub mod commands;
pub mod xmlsec;

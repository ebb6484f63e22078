//! eidas-connector library: the French eIDAS connector.

pub mod clock;
pub mod commands;
pub mod config;
pub mod peers;
pub mod saml;
pub mod store;
pub mod xmlsec;

#[cfg(test)]
mod test_support;

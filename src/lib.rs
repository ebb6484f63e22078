//! eidas-connector library: the French eIDAS connector.

pub mod clock;
pub mod commands;
pub mod config;
pub mod demo;
pub mod demo_hub;
pub mod flow;
pub mod mock_proxy;
pub mod peers;
pub mod routes;
pub mod saml;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod xmlsec;

#[cfg(test)]
mod test_support;

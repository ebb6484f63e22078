//! The `eidas-connector` binary: operator commands over the library.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eidas_connector::commands::{self, CommandError};

/// The French eIDAS connector.
#[derive(Debug, Parser)]
#[command(name = "eidas-connector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// XML security core: verify, decrypt and sign documents as the connector does.
    #[command(subcommand)]
    Xmlsec(XmlsecCommand),
}

#[derive(Debug, Subcommand)]
enum XmlsecCommand {
    /// Verify an enveloped signature; print the verified element, canonicalized.
    Verify(commands::xmlsec::VerifyArgs),
    /// Decrypt every EncryptedData; print the document with the plaintexts in place.
    Decrypt(commands::xmlsec::DecryptArgs),
    /// Sign the document element (enveloped, exc-c14n); print the signed document.
    Sign(commands::xmlsec::SignArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<Vec<u8>, CommandError> = match &cli.command {
        Command::Xmlsec(XmlsecCommand::Verify(a)) => commands::xmlsec::verify(a),
        Command::Xmlsec(XmlsecCommand::Decrypt(a)) => commands::xmlsec::decrypt(a).map(String::into_bytes),
        Command::Xmlsec(XmlsecCommand::Sign(a)) => commands::xmlsec::sign(a).map(String::into_bytes),
    };
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", e.code);
            eprintln!("  {}", e.detail);
            ExitCode::from(1)
        }
    }
}

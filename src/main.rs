//! The `eidas-connector` binary: operator commands over the library.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// mimalloc: the tree and the canonicalizer make many small allocations; it takes about a
/// third off the XML work of a Response (see `cargo bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
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
    /// SAML metadata: print ours, verify a proxy service's.
    #[command(subcommand)]
    Metadata(MetadataCommand),
    /// Print the signed AuthnRequest we would send to a proxy service.
    AuthnRequest(commands::saml::AuthnRequestArgs),
    /// Captured SAML Responses.
    #[command(subcommand)]
    Response(ResponseCommand),
    /// Run the service: the public SAML endpoints and the hub's internal API.
    Serve(commands::serve::ServeArgs),
    /// The whole journey on this machine: the connector, two TEST proxy services and a demo hub.
    Demo(commands::demo::DemoArgs),
    /// Run the DEMO hub alone, in front of a connector running elsewhere (not a real hub).
    DemoHub(commands::demo_hub::DemoHubArgs),
    /// Run a TEST double of a foreign proxy service (test country codes; not a real eID).
    MockProxy(commands::mock_proxy::MockProxyArgs),
    /// Probe the service's `/healthz` (exit 0 when healthy): the container image's HEALTHCHECK.
    Healthcheck(commands::healthcheck::HealthcheckArgs),
    /// Time the full Response validation on a workload of captured Responses (`--batch DIR`).
    Bench(commands::bench::BenchArgs),
    /// Print the OpenAPI document of the internal API (what `/api/v1/openapi.json` serves).
    Openapi,
    /// Our keys: make demo and test key material.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The configuration: check it as `serve` would load it.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a private key and a self-signed certificate (demo and test material).
    Generate(commands::keys::GenerateArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Load and validate as `serve` does; print what the service would do (exit 1 on a problem).
    Check(commands::config_check::ConfigCheckArgs),
}

#[derive(Debug, Subcommand)]
enum MetadataCommand {
    /// Print our signed connector metadata.
    Print(commands::saml::MetadataPrintArgs),
    /// Verify a proxy service's metadata against its country's trust anchor; print a JSON summary.
    Verify(commands::saml::MetadataVerifyArgs),
}

#[derive(Debug, Subcommand)]
enum ResponseCommand {
    /// Run the full Response validation on a captured Response, as the service does.
    Check(commands::saml::ResponseCheckArgs),
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

/// `--version`: the crate version and the OpenSSL linked (system or vendored), which decides
/// the speed of the private-key operations (BENCHMARKS.md).
static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    let version = VERSION.get_or_init(|| format!("{} ({})", env!("CARGO_PKG_VERSION"), commands::openssl_linked()));
    let matches = Cli::command().version(version.as_str()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result: Result<Vec<u8>, CommandError> = match &cli.command {
        Command::Xmlsec(XmlsecCommand::Verify(a)) => commands::xmlsec::verify(a),
        Command::Xmlsec(XmlsecCommand::Decrypt(a)) => commands::xmlsec::decrypt(a).map(String::into_bytes),
        Command::Xmlsec(XmlsecCommand::Sign(a)) => commands::xmlsec::sign(a).map(String::into_bytes),
        Command::Metadata(MetadataCommand::Print(a)) => commands::saml::metadata_print(a).map(String::into_bytes),
        Command::Metadata(MetadataCommand::Verify(a)) => commands::saml::metadata_verify(a).map(String::into_bytes),
        Command::AuthnRequest(a) => commands::saml::authn_request(a).map(String::into_bytes),
        Command::Serve(a) => commands::serve::serve(a).map(|()| Vec::new()),
        Command::Demo(a) => commands::demo::demo(a).map(|()| Vec::new()),
        Command::DemoHub(a) => commands::demo_hub::demo_hub(a).map(|()| Vec::new()),
        Command::MockProxy(a) => commands::mock_proxy::mock_proxy(a).map(|()| Vec::new()),
        Command::Keys(KeysCommand::Generate(a)) => commands::keys::generate(a).map(String::into_bytes),
        Command::Config(ConfigCommand::Check(a)) => {
            let check = commands::config_check::config_check(a);
            print!("{}", check.report);
            check.result.map(|()| Vec::new())
        }
        Command::Bench(a) => commands::bench::bench(a).map(String::into_bytes),
        Command::Openapi => commands::openapi::openapi().map(String::into_bytes),
        Command::Healthcheck(a) => commands::healthcheck::healthcheck(a).map(String::into_bytes),
        Command::Response(ResponseCommand::Check(a)) => {
            let check = commands::saml::response_check(a);
            if let Some(text) = check.explanation {
                eprint!("{text}");
            }
            check.result.map(String::into_bytes)
        }
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

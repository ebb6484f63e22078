//! `eidas-connector demo`: the whole journey on one machine, with embedded defaults. The
//! connector (memory store, the DEMO keys of `certs/demo/`, embedded in the binary), two TEST
//! proxy services (`XA`: RSA-PSS, `XB`: ECDSA; keys made at start) and the demo hub, all on
//! loopback; it prints the one URL to open.
//!
//! Nothing here is fit for production: the keys are public or throw-away and everything
//! listens on 127.0.0.1 over plain HTTP.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Builder, X509NameBuilder, X509};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::demo_hub::{self, DemoHubSettings};
use crate::mock_proxy::{self, MockKeyTransport, MockProxySettings};
use crate::saml::CountryCode;
use crate::startup::Application;
use crate::xmlsec::keys::{PrivateKey, SignatureAlgorithm};

/// The connector's DEMO keys (public on purpose: `certs/demo/README.md`).
const DEMO_SIGN_KEY: &[u8] = include_bytes!("../certs/demo/sign.key.pem");
const DEMO_SIGN_CERT: &[u8] = include_bytes!("../certs/demo/sign.crt.pem");
const DEMO_ENC_KEY: &[u8] = include_bytes!("../certs/demo/enc.key.pem");
const DEMO_ENC_CERT: &[u8] = include_bytes!("../certs/demo/enc.crt.pem");

/// The hub's API token in the demo (loopback only).
const DEMO_TOKEN: &str = "demo-token-not-for-production";

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A port is taken.
    #[error("cannot listen on 127.0.0.1:{port} ({source}); choose other ports with --base-port")]
    Port {
        /// The port.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// Key generation or files.
    #[error("demo set-up: {0}")]
    Setup(String),
    /// The connector refused its configuration or did not start.
    #[error("connector: {0}")]
    Connector(String),
}

impl DemoError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Port { .. } => "demo.port_in_use",
            Self::Setup(_) => "demo.setup",
            Self::Connector(_) => "demo.connector",
        }
    }
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> DemoError {
    move |e| DemoError::Setup(format!("{what}: {e}"))
}

/// The ports of the demo: the hub on `base`, the connector on `base + 80` (public) and
/// `base + 81` (internal), the test proxy services on `base + 91` and `base + 92`.
#[derive(Debug, Clone, Copy)]
pub struct DemoPorts {
    /// The demo hub: the URL to open.
    pub hub: u16,
    /// The connector's public listener.
    pub public: u16,
    /// The connector's internal listener.
    pub internal: u16,
    /// The `XA` test proxy service.
    pub xa: u16,
    /// The `XB` test proxy service.
    pub xb: u16,
}

impl DemoPorts {
    /// From the base port (default 8000).
    pub fn from_base(base: u16) -> Self {
        let at = |n: u16| base.saturating_add(n);
        Self { hub: base, public: at(80), internal: at(81), xa: at(91), xb: at(92) }
    }
}

fn bind(port: u16) -> Result<TcpListener, DemoError> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|source| DemoError::Port { port, source })
}

/// A throw-away self-signed certificate for `key`.
fn self_signed(key: &PKey<Private>, cn: &str) -> Result<X509, openssl::error::ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", cn)?;
    name.append_entry_by_text("O", "eidas-connector DEMO - not for production")?;
    let name = name.build();
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let mut serial = BigNum::new()?;
    serial.rand(127, openssl::bn::MsbOption::MAYBE_ZERO, false)?;
    let serial = serial.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(key)?;
    b.set_not_before(&*Asn1Time::days_from_now(0)?)?;
    b.set_not_after(&*Asn1Time::days_from_now(30)?)?;
    b.sign(key, MessageDigest::sha256())?;
    Ok(b.build())
}

fn ec_p256() -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

fn private_key(key: PKey<Private>, cn: &str) -> Result<PrivateKey, DemoError> {
    let cert = self_signed(&key, cn).map_err(setup("certificate"))?;
    Ok(PrivateKey { key, cert: Some(cert) })
}

/// One test proxy service: its settings and the PEM of its metadata signer (the connector's
/// trust anchor for it).
fn test_country(code: &str, port: u16, rsa: bool, public: u16) -> Result<(MockProxySettings, Vec<u8>), DemoError> {
    let country = CountryCode::parse(code).ok_or_else(|| DemoError::Setup(format!("country {code}")))?;
    let (signing_key, signature_algorithm) = if rsa {
        let key = PKey::from_rsa(Rsa::generate(3072).map_err(setup("RSA key"))?).map_err(setup("RSA key"))?;
        (private_key(key, &format!("{code} test proxy service (RSA)"))?, SignatureAlgorithm::RsaPssSha256)
    } else {
        (
            private_key(ec_p256().map_err(setup("EC key"))?, &format!("{code} test proxy service (EC)"))?,
            SignatureAlgorithm::EcdsaSha256,
        )
    };
    let metadata_signing_key =
        private_key(ec_p256().map_err(setup("EC key"))?, &format!("{code} test metadata signer"))?;
    let anchor = metadata_signing_key
        .cert
        .as_ref()
        .ok_or_else(|| DemoError::Setup("metadata signer".into()))?
        .to_pem()
        .map_err(setup("PEM"))?;
    let settings = MockProxySettings {
        country,
        public_url: format!("http://127.0.0.1:{port}"),
        signing_key,
        signature_algorithm,
        metadata_signing_key,
        key_transport: MockKeyTransport::RsaOaep,
        connector_metadata_url: Some(format!("http://127.0.0.1:{public}/eidas/metadata")),
        metadata_valid_secs: 86_400,
        display_name: format!("TEST member state {code}"),
    };
    Ok((settings, anchor))
}

/// The connector's configuration for the demo, written beside its keys in `dir`.
fn connector_config(dir: &Path, ports: DemoPorts) -> Result<PathBuf, DemoError> {
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).map_err(setup("demo files"));
    write("sign.key.pem", DEMO_SIGN_KEY)?;
    write("sign.crt.pem", DEMO_SIGN_CERT)?;
    write("enc.key.pem", DEMO_ENC_KEY)?;
    write("enc.crt.pem", DEMO_ENC_CERT)?;
    let origin = format!("http://127.0.0.1:{}", ports.public);
    let text = format!(
        r#"# Written by `eidas-connector demo`: loopback only, DEMO keys.
[connector]
entity_id = "{origin}/eidas/metadata"
acs_url = "{origin}/eidas/acs"
country = "FR"
provider_name = "Service public de démonstration"

[keys]
signing = {{ key = "sign.key.pem", cert = "sign.crt.pem" }}
encryption = [{{ key = "enc.key.pem", cert = "enc.crt.pem" }}]

[organization]
name = "DINUM"
display_name = "FranceConnect eIDAS connector (DEMO)"
url = "https://franceconnect.gouv.fr"

[[contacts]]
contact_type = "support"
email = "support@example.invalid"

[[contacts]]
contact_type = "technical"
email = "technical@example.invalid"

[server]
public_listen = "127.0.0.1:{public}"
internal_listen = "127.0.0.1:{internal}"

[api]
tokens = ["{DEMO_TOKEN}"]
return_urls = ["http://127.0.0.1:{hub}/hub/"]

[store]
backend = "memory"

[[countries]]
code = "XA"
metadata_url = "http://127.0.0.1:{xa}/metadata"
trust = ["XA-metadata-signer.crt.pem"]
insecure_allow_http = true

[[countries]]
code = "XB"
metadata_url = "http://127.0.0.1:{xb}/metadata"
trust = ["XB-metadata-signer.crt.pem"]
insecure_allow_http = true
"#,
        public = ports.public,
        internal = ports.internal,
        hub = ports.hub,
        xa = ports.xa,
        xb = ports.xb,
    );
    let path = dir.join("connector.toml");
    write("connector.toml", text.as_bytes())?;
    Ok(path)
}

/// The running demo.
pub struct RunningDemo {
    hub: actix_web::dev::ServerHandle,
    connector: crate::startup::AppHandle,
    proxies: Vec<actix_web::dev::ServerHandle>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    _files: RemoveOnDrop,
}

impl RunningDemo {
    /// Stops everything; in-flight requests finish.
    pub async fn stop(self) {
        self.hub.stop(true).await;
        self.connector.stop(true).await;
        for p in &self.proxies {
            p.stop(true).await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts the test proxy services, the connector and the demo hub on `ports`.
pub async fn start(ports: DemoPorts) -> Result<RunningDemo, DemoError> {
    let listeners = [ports.hub, ports.public, ports.internal, ports.xa, ports.xb].map(bind);
    let [hub_l, public_l, internal_l, xa_l, xb_l] = listeners;
    let (hub_l, public_l, internal_l, xa_l, xb_l) = (hub_l?, public_l?, internal_l?, xa_l?, xb_l?);

    let dir = std::env::temp_dir().join(format!("eidas-connector-demo-{}-{}", std::process::id(), ports.hub));
    std::fs::create_dir_all(&dir).map_err(setup("demo folder"))?;
    let files = RemoveOnDrop(dir.clone());
    let (xa, xa_anchor) = test_country("XA", ports.xa, true, ports.public)?;
    let (xb, xb_anchor) = test_country("XB", ports.xb, false, ports.public)?;
    std::fs::write(dir.join("XA-metadata-signer.crt.pem"), xa_anchor).map_err(setup("demo files"))?;
    std::fs::write(dir.join("XB-metadata-signer.crt.pem"), xb_anchor).map_err(setup("demo files"))?;

    // The proxy services first: the connector fetches their metadata at startup.
    let xa_server = mock_proxy::build_server(xa, xa_l).map_err(setup("XA"))?;
    let xb_server = mock_proxy::build_server(xb, xb_l).map_err(setup("XB"))?;
    let proxies = vec![xa_server.handle(), xb_server.handle()];
    let mut tasks = vec![tokio::spawn(xa_server), tokio::spawn(xb_server)];

    let config_path = connector_config(&dir, ports)?;
    let config = Config::load(Some(&config_path)).map_err(|e| DemoError::Connector(e.to_string()))?;
    let app = Application::build_with_listeners(config, Arc::new(SystemClock), public_l, internal_l)
        .await
        .map_err(|e| DemoError::Connector(e.to_string()))?;
    let connector = app.handle();
    tasks.push(tokio::spawn(app.run_until_stopped()));

    let hub = demo_hub::build_server(
        DemoHubSettings {
            public_url: format!("http://127.0.0.1:{}", ports.hub),
            connector_api_url: format!("http://127.0.0.1:{}", ports.internal),
            api_token: DEMO_TOKEN.into(),
            service_name: "Service public de démonstration".into(),
        },
        hub_l,
    )
    .map_err(setup("demo hub"))?;
    let hub_handle = hub.handle();
    tasks.push(tokio::spawn(hub));
    Ok(RunningDemo { hub: hub_handle, connector, proxies, tasks, _files: files })
}

/// Starts everything and serves until Ctrl-C or SIGTERM.
pub async fn run(ports: DemoPorts) -> Result<(), DemoError> {
    eprintln!("Starting: the test proxy services' keys are made first…");
    let demo = start(ports).await?;
    println!(
        "\neidas-connector demo (DEMO keys, loopback only)\n\
         \n  Open http://127.0.0.1:{hub}/ in your browser.\n\
         \n  demo hub (the French service + FranceConnect+)  http://127.0.0.1:{hub}/\
         \n  connector, public                                http://127.0.0.1:{public}/eidas/metadata\
         \n  connector, internal API                          http://127.0.0.1:{internal}/api/v1/openapi.json\
         \n  TEST proxy service XA (RSA-PSS)                  http://127.0.0.1:{xa}/metadata\
         \n  TEST proxy service XB (ECDSA)                    http://127.0.0.1:{xb}/metadata\
         \n\n  Ctrl-C stops everything.\n",
        hub = ports.hub,
        public = ports.public,
        internal = ports.internal,
        xa = ports.xa,
        xb = ports.xb,
    );
    crate::startup::wait_for_signal().await;
    eprintln!("Stopping…");
    demo.stop().await;
    Ok(())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

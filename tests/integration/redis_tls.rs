//! Redis over TLS (`rediss://`) for real: a test PKI made here (a private CA, a server
//! certificate for 127.0.0.1 and localhost, a client certificate, and a rogue CA with its own
//! server certificate), `redis-server` 7 started with `--tls-port`, no plain port and a
//! password. The store contract runs over it (`store_contract::rediss`); here, what only TLS
//! has: the private CA given by `store.redis_tls_ca_file` is required, a server certificate
//! from another CA is refused, and mutual TLS.
//!
//! Skips (see `support::skip`) when `redis-server` is absent or built without TLS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use eidas_connector::store::redis::{RedisStore, RedisTls, DEFAULT_PREFIX};
use eidas_connector::store::{Kind, Store, StoreError};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509Builder, X509NameBuilder, X509};

use crate::support;

/// The password every TLS Redis of these tests requires.
pub const PASSWORD: &str = "tls-test-password-0123";
const START_TIMEOUT: Duration = Duration::from_secs(10);
const OP_TIMEOUT: Duration = Duration::from_millis(1500);

/// A key and its certificate.
pub struct Issued {
    key: PKey<Private>,
    cert: X509,
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `cn` signed by `issuer` (self-signed when `None`): a CA, a TLS server
/// for 127.0.0.1 and localhost, or a TLS client.
fn issue(cn: &str, issuer: Option<&Issued>, kind: &str) -> Issued {
    let key = ec_key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name())).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap()).unwrap();
    match kind {
        "ca" => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap()).unwrap();
            b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build().unwrap()).unwrap();
        }
        "server" => {
            let ctx = b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None);
            let san = SubjectAlternativeName::new().ip("127.0.0.1").dns("localhost").build(&ctx).unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap()).unwrap();
        }
        _ => b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap()).unwrap(),
    }
    b.sign(issuer.map_or(&key, |i| &i.key), MessageDigest::sha256()).unwrap();
    Issued { key, cert: b.build() }
}

/// The test PKI, written as PEM files in a folder removed on drop.
pub struct TestPki {
    /// The folder.
    pub dir: support::TempDir,
}

impl TestPki {
    /// A private CA (`ca.crt.pem`) with a server (`server.*`) and a client (`client.*`, key in
    /// PKCS#8), and a rogue CA (`rogue-ca.crt.pem`) with its own server (`rogue-server.*`).
    pub fn new() -> Self {
        let dir = support::TempDir::new();
        let ca = issue("eidas-connector test Redis CA", None, "ca");
        let server = issue("localhost", Some(&ca), "server");
        let client = issue("connector", Some(&ca), "client");
        let rogue = issue("eidas-connector test Redis CA", None, "ca");
        let rogue_server = issue("localhost", Some(&rogue), "server");
        let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.0.join(name), bytes).unwrap();
        write("ca.crt.pem", ca.cert.to_pem().unwrap());
        write("rogue-ca.crt.pem", rogue.cert.to_pem().unwrap());
        for (name, issued) in [("server", &server), ("client", &client), ("rogue-server", &rogue_server)] {
            write(&format!("{name}.crt.pem"), issued.cert.to_pem().unwrap());
            write(&format!("{name}.key.pem"), issued.key.private_key_to_pem_pkcs8().unwrap());
        }
        Self { dir }
    }

    /// A file of the PKI.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.0.join(name)
    }

    /// The `RedisTls` of `store.redis_tls_ca_file` = our CA, with the client pair when `mutual`.
    pub fn tls(&self, mutual: bool) -> RedisTls {
        let (cert, key) = (self.file("client.crt.pem"), self.file("client.key.pem"));
        let client = mutual.then_some((cert.as_path(), key.as_path()));
        RedisTls::read(Some(&self.file("ca.crt.pem")), client.map(|c| c.0), client.map(|c| c.1)).unwrap().unwrap()
    }
}

/// A `redis-server` with TLS only (`--port 0`), a password, killed on drop.
pub struct TlsRedis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl TlsRedis {
    /// Serves the certificate `server` (`server` or `rogue-server` of `pki`); requires client
    /// certificates when `mutual`. `None` (a skip) without a TLS-capable `redis-server`.
    pub fn start(pki: &TestPki, server: &str, mutual: bool) -> Option<Self> {
        let binary =
            std::env::var_os("EIDAS_TEST_REDIS_SERVER").map_or_else(|| PathBuf::from("redis-server"), PathBuf::from);
        let has_tls = Command::new(&binary)
            .args(["--port", "0", "--tls-port", "0", "--test-memory", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !has_tls {
            return support::skip("redis-server not found (apt install redis-server, or set EIDAS_TEST_REDIS_SERVER)");
        }
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("eidas-test-redis-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut last = String::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            match spawn(&binary, &dir, pki, server, mutual, port) {
                Ok(child) => return Some(Self { child, port, dir }),
                Err(e) if e.contains("tls-port") || e.contains("TLS") && e.contains("not supported") => {
                    let _ = std::fs::remove_dir_all(&dir);
                    return support::skip(&format!("redis-server has no TLS: {e}"));
                }
                Err(e) => last = e,
            }
        }
        panic!("TLS redis-server did not start: {last}");
    }

    /// `rediss://:PASSWORD@{host}:{port}/0`.
    pub fn url(&self, host: &str) -> String {
        format!("rediss://:{PASSWORD}@{host}:{}/0", self.port)
    }
}

fn spawn(binary: &Path, dir: &Path, pki: &TestPki, server: &str, mutual: bool, port: u16) -> Result<Child, String> {
    let log = dir.join("redis.log");
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new(binary)
        .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--tls-cert-file")
        .arg(pki.file(&format!("{server}.crt.pem")))
        .arg("--tls-key-file")
        .arg(pki.file(&format!("{server}.key.pem")))
        .arg("--tls-ca-cert-file")
        .arg(pki.file("ca.crt.pem"))
        .args(["--tls-auth-clients", if mutual { "yes" } else { "no" }])
        .args(["--requirepass", PASSWORD, "--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("redis-server exited ({status}): {text}"));
        }
        // Its own log: the port was bound by this process.
        if text.contains("Ready to accept connections") {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("redis-server on TLS port {port} not ready: {text}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A store on a fresh TLS Redis trusting our private CA, for the contract suite: the store,
/// the server and the PKI (kept alive together).
pub fn rediss_store() -> Option<(RedisStore, TlsRedis, TestPki)> {
    let pki = TestPki::new();
    let server = TlsRedis::start(&pki, "server", false)?;
    let store =
        RedisStore::connect_with_tls(&server.url("127.0.0.1"), DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(false)))
            .unwrap();
    Some((store, server, pki))
}

fn unavailable(r: Result<(), StoreError>) -> String {
    match r {
        Err(StoreError::Unavailable(reason)) => reason,
        other => panic!("expected store_unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn rediss_with_the_private_ca_round_trips_by_host_name_and_by_address() {
    let pki = TestPki::new();
    let Some(server) = TlsRedis::start(&pki, "server", false) else { return };
    for host in ["localhost", "127.0.0.1"] {
        let store =
            RedisStore::connect_with_tls(&server.url(host), DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(false))).unwrap();
        store.ping().await.unwrap();
        assert!(store.put_new(Kind::Replay, host, b"seen", Duration::from_secs(60)).await.unwrap());
        assert!(!store.put_new(Kind::Replay, host, b"seen", Duration::from_secs(60)).await.unwrap());
        assert_eq!(store.take(Kind::Replay, host).await.unwrap(), Some(b"seen".to_vec()));
    }
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused_and_the_reason_says_why_without_the_password() {
    let pki = TestPki::new();
    let Some(rogue) = TlsRedis::start(&pki, "rogue-server", false) else { return };
    let store =
        RedisStore::connect_with_tls(&rogue.url("127.0.0.1"), DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(false)))
            .unwrap();
    let reason = unavailable(store.ping().await);
    eprintln!("rogue server certificate: {reason}");
    assert!(reason.contains("certificate verify failed"), "{reason}");
    assert!(!reason.contains(PASSWORD), "{reason}");
    // Nothing was written through it either.
    let put = store.put(Kind::Request, "k", b"v", Duration::from_secs(60)).await;
    assert_eq!(put.map_err(|e| e.code()), Err("store_unavailable"));
}

#[tokio::test]
async fn without_the_private_ca_the_system_trust_store_refuses_the_server() {
    let pki = TestPki::new();
    let Some(server) = TlsRedis::start(&pki, "server", false) else { return };
    let store = RedisStore::connect(&server.url("127.0.0.1"), DEFAULT_PREFIX, OP_TIMEOUT).unwrap();
    let reason = unavailable(store.ping().await);
    assert!(reason.contains("certificate verify failed"), "{reason}");
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let pki = TestPki::new();
    let Some(server) = TlsRedis::start(&pki, "server", true) else { return };
    let url = server.url("localhost");
    let without = RedisStore::connect_with_tls(&url, DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(false))).unwrap();
    let reason = unavailable(without.ping().await);
    eprintln!("no client certificate: {reason}");
    assert!(!reason.contains(PASSWORD), "{reason}");
    let with = RedisStore::connect_with_tls(&url, DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(true))).unwrap();
    with.ping().await.unwrap();
    with.put(Kind::ResponseHandle, "h", b"identity", Duration::from_secs(60)).await.unwrap();
    assert_eq!(with.take(Kind::ResponseHandle, "h").await.unwrap(), Some(b"identity".to_vec()));
}

#[test]
fn tls_files_with_a_plain_redis_url_or_unparsable_pem_are_refused_with_the_part_named() {
    let pki = TestPki::new();
    let plain =
        RedisStore::connect_with_tls("redis://127.0.0.1:1/0", DEFAULT_PREFIX, OP_TIMEOUT, Some(&pki.tls(false)));
    let reason = unavailable(plain.map(|_| ()));
    assert!(reason.contains("need a rediss:// URL"), "{reason}");
    let garbage = RedisTls { ca_pem: Some(b"not a certificate".to_vec()), client: None };
    let bad = RedisStore::connect_with_tls("rediss://127.0.0.1:1/0", DEFAULT_PREFIX, OP_TIMEOUT, Some(&garbage));
    let reason = unavailable(bad.map(|_| ()));
    assert!(reason.starts_with("redis TLS settings: ") && reason.contains("certificate"), "{reason}");
    let missing = RedisTls::read(Some(&pki.file("absent.pem")), None, None).map(|_| ());
    let reason = unavailable(missing);
    assert!(reason.starts_with("store.redis_tls_ca_file: ") && reason.contains("absent.pem"), "{reason}");
}

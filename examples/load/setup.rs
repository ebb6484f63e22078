//! What the load runs against: the Rust TEST mock proxy service in this process, the connector
//! as a separate `eidas-connector serve` process with a generated configuration (or one already
//! running), and a sampler of the connector's memory (`/proc/PID/status`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eidas_connector::mock_proxy::{build_server, MockKeyTransport, MockProxySettings};
use eidas_connector::saml::CountryCode;
use eidas_connector::xmlsec::keys::{PrivateKey, SignatureAlgorithm};

use crate::Args;

/// The country the mock plays.
pub const COUNTRY: &str = "XA";
/// How long the connector may take to be ready (its first metadata fetch included).
const STARTUP: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take before the connector is killed.
const SHUTDOWN: Duration = Duration::from_secs(30);

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn key(name: &str) -> Result<PrivateKey, String> {
    let read = |ext: &str| {
        let path = repo(&format!("certs/test-pki/{name}.{ext}.pem"));
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    PrivateKey::from_pem(&read("key")?, Some(&read("crt")?)).map_err(|e| format!("test key {name}: {e}"))
}

/// The mock proxy service, serving until dropped (with the process).
pub struct Mock {
    /// `http://127.0.0.1:PORT`: its metadata is `{origin}/metadata`.
    pub origin: String,
    _handle: actix_web::dev::ServerHandle,
}

/// Starts the Rust mock for [`COUNTRY`] on `listen` (RSA-PSS signed Responses, RSA-OAEP).
pub fn start_mock(listen: &str) -> Result<Mock, String> {
    let listener = TcpListener::bind(listen).map_err(|e| format!("mock proxy on {listen}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let origin = format!("http://127.0.0.1:{port}");
    let settings = MockProxySettings {
        country: CountryCode::parse(COUNTRY).ok_or("country code")?,
        public_url: origin.clone(),
        signing_key: key("idp-rsa3072")?,
        signature_algorithm: SignatureAlgorithm::RsaPssSha256,
        metadata_signing_key: key("idp-metadata-signer")?,
        key_transport: MockKeyTransport::RsaOaep,
        connector_metadata_url: None,
        metadata_valid_secs: 86_400,
        display_name: "Load test member state XA".into(),
    };
    let server = build_server(settings, listener).map_err(|e| format!("mock proxy: {e}"))?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Mock { origin, _handle: handle })
}

/// The `[[countries]]` entry a connector needs to use the mock at `origin`.
pub fn country_entry(origin: &str) -> String {
    let trust = repo("certs/test-pki/idp-metadata-signer.crt.pem");
    format!(
        "[[countries]]\ncode = \"{COUNTRY}\"\nmetadata_url = \"{origin}/metadata\"\ntrust = [\"{}\"]\n\
         insecure_allow_http = true\nrequire_signed_assertion = false\n",
        trust.display()
    )
}

/// `toml` without its `[name]` table.
fn without_table(toml: &str, name: &str) -> String {
    let header = format!("[{name}]");
    let mut inside = false;
    let mut out = String::new();
    for line in toml.lines() {
        if line.starts_with('[') {
            inside = line.trim() == header;
        }
        if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// The connector's configuration: the reference's identity and keys, loopback listeners, the
/// driver's token, the store asked for, short TTLs, one country (the mock).
fn config_text(args: &Args, public: u16, internal: u16, mock: &str) -> Result<String, String> {
    let reference =
        std::fs::read_to_string(repo("docker/config.toml")).map_err(|e| format!("docker/config.toml: {e}"))?;
    let certs = repo("certs");
    let origin = format!("http://127.0.0.1:{public}");
    let text = ["server", "api", "store"]
        .iter()
        .fold(reference, |text, table| without_table(&text, table))
        .replace("\"../certs/", &format!("\"{}/", certs.display()))
        .replace("https://localhost:8443", &origin);
    let store = match (args.store.as_str(), &args.redis_url) {
        ("memory", _) => format!("backend = \"memory\"\nmax_entries = {}", args.store_max_entries),
        ("redis", Some(url)) => format!("backend = \"redis\"\nredis_url = \"{url}\""),
        ("redis", None) => return Err("--store redis needs --redis-url".into()),
        (other, _) => return Err(format!("--store is memory or redis (got {other:?})")),
    };
    let ttl = args.ttl_secs.max(60);
    Ok(format!(
        "{text}\n[server]\npublic_listen = \"127.0.0.1:{public}\"\ninternal_listen = \"127.0.0.1:{internal}\"\n\
         public_base_url = \"{origin}\"\n\
         [api]\ntokens = [\"{token}\"]\nreturn_urls = [\"{RETURN_PREFIX}\"]\n\
         request_ttl_secs = {ttl}\nresponse_ttl_secs = {ttl}\nstatus_retention_secs = {ttl}\n\
         [store]\n{store}\n\n{country}",
        token = args.token,
        country = country_entry(mock),
    ))
}

/// Where the hub's return URLs point (never followed).
pub const RETURN_PREFIX: &str = "http://127.0.0.1:9/hub/";

/// The connector under load.
pub struct Connector {
    /// Public origin.
    pub public: String,
    /// Internal origin.
    pub internal: String,
    /// The hub's token.
    pub token: String,
    pid: Option<u32>,
    child: Option<Child>,
    log: Option<PathBuf>,
    /// The folder of the configuration and the log (removed on stop unless `--log-file`).
    dir: Option<PathBuf>,
}

impl Connector {
    /// A connector already running.
    pub fn running(public: &str, internal: &str, token: &str, pid: Option<u32>) -> Self {
        Self {
            public: public.trim_end_matches('/').to_owned(),
            internal: internal.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            pid,
            child: None,
            log: None,
            dir: None,
        }
    }

    /// Starts `eidas-connector serve` for the mock at `mock` and waits until `/readyz` says ready.
    pub async fn spawn(args: &Args, mock: &str) -> Result<Self, String> {
        let binary = match &args.connector_bin {
            Some(b) => b.clone(),
            None => default_binary()?,
        };
        let dir = std::env::temp_dir().join(format!("eidas-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (public, internal) = (free_port()?, free_port()?);
        let config = dir.join("config.toml");
        std::fs::write(&config, config_text(args, public, internal, mock)?).map_err(|e| e.to_string())?;
        let log = args.log_file.clone().unwrap_or_else(|| dir.join("connector.log"));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(&binary)
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", &args.log_level)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                format!("cannot run {}: {e} (build it: cargo build --release --bin eidas-connector)", binary.display())
            })?;
        let mut connector = Self {
            public: format!("http://127.0.0.1:{public}"),
            internal: format!("http://127.0.0.1:{internal}"),
            token: args.token.clone(),
            pid: Some(child.id()),
            child: Some(child),
            log: Some(log),
            dir: Some(dir),
        };
        connector.wait_ready().await?;
        Ok(connector)
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let client = reqwest::Client::builder().no_proxy().build().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let url = format!("{}/readyz", self.public);
        while started.elapsed() < STARTUP {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("the connector exited ({status}):\n{}", self.log_tail()));
                }
            }
            if client.get(&url).send().await.is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("the connector was not ready within {STARTUP:?}:\n{}", self.log_tail()))
    }

    /// Its process id, when known.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The last lines of its log.
    pub fn log_tail(&self) -> String {
        let text = self.log.as_ref().and_then(|l| std::fs::read_to_string(l).ok()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines.iter().skip(lines.len().saturating_sub(20)).copied().collect::<Vec<_>>().join("\n")
    }

    /// Lines of its log that report a panic.
    pub fn panics(&self) -> usize {
        let text = self.log.as_ref().and_then(|l| std::fs::read_to_string(l).ok()).unwrap_or_default();
        text.lines().filter(|l| l.contains("panicked")).count()
    }

    /// SIGTERM, a wait for a clean exit (else SIGKILL), and the temporary folder removed.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let started = Instant::now();
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        if !status.success() {
                            println!("load: the connector exited with {status} after SIGTERM");
                        }
                        break;
                    }
                    Ok(None) if started.elapsed() < SHUTDOWN => tokio::time::sleep(Duration::from_millis(100)).await,
                    _ => {
                        println!("load: the connector did not stop within {SHUTDOWN:?}: killed");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `eidas-connector` in the folder above this program's (`target/release/examples/load` →
/// `target/release/eidas-connector`).
fn default_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    exe.parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("eidas-connector"))
        .ok_or_else(|| "cannot locate eidas-connector: pass --connector-bin".to_owned())
}

/// `VmRSS` and `VmHWM` of `pid`, in kB.
fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The connector's memory over the run.
#[derive(Debug, Clone)]
pub struct MemoryFigures {
    /// `(seconds since the start, VmRSS kB)`, one a second.
    pub samples: Vec<(f64, u64)>,
    /// VmHWM at the end (the peak RSS of the process's life).
    pub peak_kb: u64,
}

/// Samples the connector's VmRSS every second until [`MemorySampler::finish`].
pub struct MemorySampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<MemoryFigures>,
}

impl MemorySampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut figures = MemoryFigures { samples: Vec::new(), peak_kb: 0 };
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => break,
                }
                if let Some((rss, hwm)) = memory_of(pid) {
                    figures.samples.push((started.elapsed().as_secs_f64(), rss));
                    figures.peak_kb = hwm;
                }
            }
            if let Some((rss, hwm)) = memory_of(pid) {
                figures.samples.push((started.elapsed().as_secs_f64(), rss));
                figures.peak_kb = hwm;
            }
            figures
        });
        Self { stop, task }
    }

    /// Stops sampling; the figures.
    pub async fn finish(self) -> MemoryFigures {
        let _ = self.stop.send(());
        self.task.await.unwrap_or(MemoryFigures { samples: Vec::new(), peak_kb: 0 })
    }
}

/// CPU time (user + system) of `pid` (`self` for this process) so far, in clock ticks: fields
/// 14 and 15 of `/proc/PID/stat`, counted after the `)` that ends the command name.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime + stime of a `/proc/PID/stat` line (the name may hold spaces and parentheses).
fn stat_ticks(stat: &str) -> Option<u64> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    // After the name: state (3), ppid (4), … utime (14), stime (15).
    let mut fields = after.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`; 100, Linux's USER_HZ, if
/// `getconf` is missing).
pub fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|hz| *hz > 0.0)
        .unwrap_or(100.0)
}

/// CPU used over a run, in % of one core (200 % = both cores of a 2-core machine busy).
#[derive(Debug, Clone, Copy)]
pub struct CpuFigures {
    /// The connector process (absent when its PID is unknown).
    pub connector_pct: Option<f64>,
    /// This driver (the in-process mock proxy service and the HTTP clients).
    pub driver_pct: Option<f64>,
    /// The machine's cores.
    pub cores: usize,
}

/// Ticks of the connector and of this process at the start of a run.
pub struct CpuMeter {
    pid: Option<u32>,
    connector: Option<u64>,
    driver: Option<u64>,
    started: Instant,
}

impl CpuMeter {
    /// Starts counting (`pid`: the connector's, when known).
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            connector: pid.and_then(|p| cpu_ticks(&p.to_string())),
            driver: cpu_ticks("self"),
            started: Instant::now(),
        }
    }

    /// The figures since [`CpuMeter::start`].
    pub fn finish(self) -> CpuFigures {
        let secs = self.started.elapsed().as_secs_f64().max(f64::EPSILON);
        let hz = ticks_per_second();
        let pct = |from: Option<u64>, to: Option<u64>| Some(to?.saturating_sub(from?) as f64 / hz / secs * 100.0);
        CpuFigures {
            connector_pct: pct(self.connector, self.pid.and_then(|p| cpu_ticks(&p.to_string()))),
            driver_pct: pct(self.driver, cpu_ticks("self")),
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cpu_ticks, stat_ticks};

    #[test]
    fn stat_ticks_adds_utime_and_stime_after_a_name_with_spaces_and_parentheses() {
        let line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 56 0 0 20 0 4 0 99 0 0";
        assert_eq!(stat_ticks(line), Some(1290));
    }

    #[test]
    fn stat_ticks_refuses_a_truncated_line() {
        assert_eq!(stat_ticks("4242 (x) S 1 2 3"), None);
    }

    #[test]
    fn cpu_ticks_reads_this_process() {
        assert!(cpu_ticks("self").is_some());
    }
}

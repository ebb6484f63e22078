//! A real `redis-server` for tests: started on a free loopback port with no persistence in a
//! temporary directory, waited for until it answers, killed on drop. It can be stopped and
//! started again on the same port (to test reconnection) and started with extra arguments
//! (`--requirepass`), and frozen and thawed (a hung server). Skips (see `support::skip`) when `redis-server` is not installed;
//! `EIDAS_TEST_REDIS_SERVER` names another binary.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::support;

/// How long a starting server has to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try when the one picked is taken before Redis binds it.
const PORT_ATTEMPTS: usize = 5;

/// A running (or stopped) `redis-server` owned by one test.
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    dir: PathBuf,
    extra_args: Vec<String>,
    child: Option<Child>,
}

impl RedisServer {
    /// A fresh server, or `None` (a skip) when `redis-server` is not installed.
    pub fn start() -> Option<Self> {
        Self::start_with_args(&[])
    }

    /// A fresh server started with `extra_args` (e.g. `["--requirepass", "secret"]`).
    pub fn start_with_args(extra_args: &[&str]) -> Option<Self> {
        let binary = binary()?;
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            binary,
            port: 0,
            dir,
            extra_args: extra_args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            server.port = free_port();
            match server.spawn_and_wait() {
                Ok(()) => return Some(server),
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server did not start after {PORT_ATTEMPTS} ports: {last_error}");
    }

    /// `redis://127.0.0.1:{port}/0` (no password).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The loopback port it listens on (kept across `stop` and `start_again`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (as a crash would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes the server (`SIGSTOP`): connections stay open but nothing answers, as with a
    /// hung server or a network black hole.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a server frozen by [`RedisServer::pause`] (`SIGCONT`).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        let child = self.child.as_ref().expect("redis-server is running");
        let ok = Command::new("kill").args([sig, &child.id().to_string()]).status().is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} redis-server");
    }

    /// Starts the server again on the same port (with an empty data set), waiting until it
    /// answers. Retries for a while if the port is not free yet.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "start_again on a running redis-server");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_and_wait() {
                Ok(()) => return,
                Err(e) if Instant::now() >= deadline => panic!("redis-server did not start again: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Starts `redis-server` on `self.port` and waits until it is ready; on failure the
    /// process is gone and the reason (its log) is returned.
    ///
    /// Ready means that its own log says so (so the port was bound by this process, not by
    /// another test's server that happened to pick the same port) and that it answers.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let log = self.dir.join("redis.log");
        let _ = std::fs::remove_file(&log);
        let mut child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.binary.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("redis-server exited ({status}): {log}"));
            }
            let ready = std::fs::read_to_string(&log).is_ok_and(|l| l.contains("Ready to accept connections"));
            if ready && answers(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("redis-server on port {} did not answer", self.port));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server binary, or a skip.
fn binary() -> Option<PathBuf> {
    let binary =
        std::env::var_os("EIDAS_TEST_REDIS_SERVER").map_or_else(|| PathBuf::from("redis-server"), PathBuf::from);
    let found = Command::new(&binary)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        Some(binary)
    } else {
        support::skip("redis-server not found (apt install redis-server, or set EIDAS_TEST_REDIS_SERVER)")
    }
}

/// A loopback port that was free a moment ago (bound to port 0, then released).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()
}

/// True when something on `port` answers a RESP `PING` (`+PONG`, or `-NOAUTH` when a password
/// is required): Redis is up and serving, not just listening.
fn answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 64];
    matches!(s.read(&mut reply), Ok(n) if n > 0 && (reply[0] == b'+' || reply[0] == b'-'))
}

/// A fresh directory under the system temp dir, unique in this process and across processes.
fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("eidas-test-redis-{}-{n}", std::process::id()))
}

//! The Redis store: shared state for several connector instances behind a load balancer
//! (start on one, ACS on another, consume on a third). It owns the connection to Redis and
//! the mapping of [`Store`] calls to single Redis commands; it must never log or report the
//! values it stores, nor the password in its URL.
//!
//! # URLs
//!
//! - `redis://host:6379/0`: plain TCP, database 0 (the default port is 6379, the default
//!   database 0);
//! - `redis://:password@host:6379/0` (`AUTH password`) or `redis://user:password@host:6379/0`
//!   (ACL user); percent-encode reserved characters in the password;
//! - `rediss://host:6380/0`: TLS (native-tls, i.e. OpenSSL on Linux), with the server
//!   certificate and host name verified against the system trust store, or against the CA
//!   certificates of [`RedisTls::ca_pem`] only (`store.redis_tls_ca_file`: a private CA),
//!   and with a client certificate when Redis requires one ([`RedisTls`]'s client pair:
//!   `store.redis_tls_cert_file`, `store.redis_tls_key_file`). The redis crate's
//!   `#insecure` fragment, which turns verification off, is refused.
//!
//! The connection speaks RESP3 (whatever the URL's `protocol` parameter says): Redis ≥ 6.2
//! is required anyway for `GETDEL`, and over RESP3 a dropped connection is noticed at once
//! instead of at the next command.
//!
//! # Keys and commands
//!
//! Keys are `{prefix}{kind}:{key}` ([`DEFAULT_PREFIX`] is `eidas:`). `put` is `SET k v PX ttl`,
//! `put_new` is `SET k v NX PX ttl`, `get` is `GET`, `take` is `GETDEL` (atomic), `delete` is
//! `DEL` and `ping` is `PING`: one command each, so each is atomic in Redis.
//!
//! # Availability
//!
//! [`RedisStore::connect`] does not wait for Redis: the service can start while Redis is
//! down and report not-ready. Every call is bounded by the operation timeout and fails with
//! [`StoreError::Unavailable`] when Redis does not answer in time. The connection is a
//! [`ConnectionManager`] made on first use; it reconnects by itself after a dropped
//! connection, and it is replaced by a fresh one after any other failure (timeout,
//! authentication refused, error reply), so the store recovers without being recreated
//! once Redis is back. A call is retried once, within its timeout, only when the connection
//! was refused (then the command was certainly not sent, so retrying `GETDEL` or `SET NX`
//! cannot lose or double anything).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    ClientTlsConfig, Cmd, ConnectionAddr, FromRedisValue, IntoConnectionInfo, ProtocolVersion, RedisError,
    TlsCertificates, Value,
};

use super::{clamp_ttl, Kind, Store, StoreError};

/// The key prefix used unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "eidas:";

/// A [`Store`] on Redis, shared by several connector instances.
pub struct RedisStore {
    client: redis::Client,
    config: ConnectionManagerConfig,
    prefix: String,
    op_timeout: Duration,
    /// `host:port/db`, for `Debug` (never the password).
    endpoint: String,
    slot: Mutex<Slot>,
}

/// The current connection and its generation, so that a failed caller replaces only the
/// connection it used, not one that another caller has already put in its place.
#[derive(Default)]
struct Slot {
    generation: u64,
    manager: Option<ConnectionManager>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("endpoint", &self.endpoint)
            .field("prefix", &self.prefix)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

/// TLS material for a `rediss://` URL beyond the system trust store. `Debug` shows only which
/// parts are set.
#[derive(Clone, Default)]
pub struct RedisTls {
    /// PEM CA certificate(s): the server's certificate must chain to one of them. They
    /// replace the system trust store.
    pub ca_pem: Option<Vec<u8>>,
    /// Our PEM certificate (chain) and unencrypted PKCS#8 PEM key, for a Redis that requires
    /// client certificates (`tls-auth-clients yes`).
    ///
    /// # Security
    /// The key is a secret: never logged.
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTls")
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "set"))
            .field("client", &self.client.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl RedisTls {
    /// Reads the files of `store.redis_tls_ca_file`, `store.redis_tls_cert_file` and
    /// `store.redis_tls_key_file`; `None` when none is set. A file that cannot be read is
    /// named in the reason; a client certificate needs its key and the other way round.
    pub fn read(ca: Option<&Path>, cert: Option<&Path>, key: Option<&Path>) -> Result<Option<Self>, StoreError> {
        let read = |name: &str, p: &Path| {
            std::fs::read(p).map_err(|e| StoreError::Unavailable(format!("{name}: {}: {e}", p.display())))
        };
        let ca_pem = ca.map(|p| read("store.redis_tls_ca_file", p)).transpose()?;
        let client = match (cert, key) {
            (Some(c), Some(k)) => Some((read("store.redis_tls_cert_file", c)?, read("store.redis_tls_key_file", k)?)),
            (None, None) => None,
            _ => {
                return Err(StoreError::Unavailable(
                    "store.redis_tls_cert_file and store.redis_tls_key_file go together".to_owned(),
                ))
            }
        };
        Ok((ca_pem.is_some() || client.is_some()).then_some(Self { ca_pem, client }))
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (see the module docs for the URL forms), with keys
    /// prefixed by `prefix` (usually [`DEFAULT_PREFIX`]) and every call bounded by
    /// `op_timeout`. [`RedisStore::connect_with_tls`] for a private CA or a client
    /// certificate.
    ///
    /// Does not connect: the first call does, and a Redis that is down at startup is only
    /// reported by the calls (and [`Store::ping`]). Fails only on a URL that cannot be used;
    /// the reason never contains the password.
    ///
    /// # Security
    ///
    /// Use `rediss://` whenever Redis is not on the same host: the store holds validated
    /// identities until they are consumed.
    pub fn connect(url: &str, prefix: &str, op_timeout: Duration) -> Result<Self, StoreError> {
        Self::connect_with_tls(url, prefix, op_timeout, None)
    }

    /// [`RedisStore::connect`] with TLS material: `tls` needs a `rediss://` URL. Fails on a
    /// certificate or key that cannot be parsed (the reason names which, never its content).
    pub fn connect_with_tls(
        url: &str,
        prefix: &str,
        op_timeout: Duration,
        tls: Option<&RedisTls>,
    ) -> Result<Self, StoreError> {
        let info = url
            .into_connection_info()
            .map_err(|e| StoreError::Unavailable(format!("invalid redis url: {}", describe(&e, "url"))))?;
        if let ConnectionAddr::TcpTls { insecure: true, .. } = info.addr() {
            return Err(StoreError::Unavailable(
                "invalid redis url: #insecure (no TLS certificate verification) is refused".to_owned(),
            ));
        }
        let endpoint = format!("{}/{}", info.addr(), info.redis_settings().db());
        let redis = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
        let info = info.set_redis_settings(redis);
        let client = match tls {
            None => redis::Client::open(info)
                .map_err(|e| StoreError::Unavailable(format!("invalid redis url: {}", describe(&e, "url"))))?,
            Some(_) if !matches!(info.addr(), ConnectionAddr::TcpTls { .. }) => {
                return Err(StoreError::Unavailable(
                    "store.redis_tls_* files need a rediss:// URL (TLS); this one is plain redis://".to_owned(),
                ))
            }
            Some(tls) => {
                let certificates = TlsCertificates {
                    client_tls: tls
                        .client
                        .as_ref()
                        .map(|(cert, key)| ClientTlsConfig { client_cert: cert.clone(), client_key: key.clone() }),
                    root_cert: tls.ca_pem.clone(),
                };
                redis::Client::build_with_tls(info, certificates).map_err(|e| {
                    // The crate's reason names the part ("Unable to parse root certificate PEM"),
                    // never the bytes.
                    StoreError::Unavailable(format!("redis TLS settings: {e}"))
                })?
            }
        };
        let config = ConnectionManagerConfig::new()
            // One attempt per (re)connection: the next call starts another, and an
            // authentication failure is reported at once instead of after back-off retries.
            .set_number_of_retries(0)
            .set_connection_timeout(Some(op_timeout))
            .set_response_timeout(Some(op_timeout));
        Ok(Self { client, config, prefix: prefix.to_owned(), op_timeout, endpoint, slot: Mutex::new(Slot::default()) })
    }

    fn key(&self, kind: Kind, key: &str) -> String {
        format!("{}{}:{}", self.prefix, kind.as_str(), key)
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot is replaced whole under the lock; a poisoned lock still holds a usable one.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current connection, made (lazily: it connects on first use) when there is none.
    fn manager(&self) -> Result<(u64, ConnectionManager), StoreError> {
        let mut slot = self.lock();
        if let Some(m) = &slot.manager {
            return Ok((slot.generation, m.clone()));
        }
        let m = ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone())
            .map_err(|e| StoreError::Unavailable(describe(&e, "connect")))?;
        slot.generation = slot.generation.wrapping_add(1);
        slot.manager = Some(m.clone());
        Ok((slot.generation, m))
    }

    /// Drops the connection of `generation` (if still current): the next call makes a new one.
    fn discard(&self, generation: u64) {
        let mut slot = self.lock();
        if slot.generation == generation {
            slot.manager = None;
        }
    }

    /// Runs one command (`name` is for the reason) within the operation timeout.
    async fn run<T: FromRedisValue>(&self, name: &'static str, cmd: &Cmd) -> Result<T, StoreError> {
        let deadline = tokio::time::Instant::now() + self.op_timeout;
        let mut retried = false;
        loop {
            let (generation, mut conn) = self.manager()?;
            let err = match tokio::time::timeout_at(deadline, cmd.query_async::<T>(&mut conn)).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => e,
                Err(_) => {
                    self.discard(generation);
                    return Err(self.no_answer(name));
                }
            };
            // The command was certainly not sent; the manager is already reconnecting.
            if err.is_connection_refusal() && !retried {
                retried = true;
                continue;
            }
            // A dropped connection is being replaced by the manager itself; after anything
            // else (timeout, refused credentials, error reply) start afresh.
            if !(err.is_io_error() && err.is_connection_dropped()) {
                self.discard(generation);
            }
            if err.is_timeout() {
                return Err(self.no_answer(name));
            }
            return Err(StoreError::Unavailable(describe(&err, name)));
        }
    }

    fn no_answer(&self, name: &str) -> StoreError {
        StoreError::Unavailable(format!("redis {name}: no answer within {} ms", self.op_timeout.as_millis()))
    }
}

/// A reason for logs: what failed and why, never a value, a key or the password (server
/// error messages may quote the command's arguments, so only their code is kept).
fn describe(err: &RedisError, command: &str) -> String {
    if err.is_io_error() {
        // I/O errors carry the OS reason ("Connection refused (os error 111)").
        return format!("redis {command}: {err}");
    }
    // Over RESP3 a refused password is the reply to `HELLO`: WRONGPASS (or NOAUTH when the
    // URL has none); over RESP2 it is reported as `AuthenticationFailed`.
    match (err.kind(), err.code()) {
        (_, Some(code @ ("WRONGPASS" | "NOAUTH"))) => format!("redis {command}: authentication failed ({code})"),
        (redis::ErrorKind::AuthenticationFailed, _) => format!("redis {command}: authentication failed"),
        (redis::ErrorKind::InvalidClientConfig, _) => err.to_string(),
        // Raised on our side, never by the server: the TLS handshake ("certificate verify
        // failed", a refused client certificate), whose reason the operator needs.
        (redis::ErrorKind::Client, None) => format!("redis {command}: TLS or client error: {err}"),
        (_, Some(code)) => format!("redis {command}: error reply {code}"),
        (_, None) => format!("redis {command}: {}", err.category()),
    }
}

fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(clamp_ttl(ttl).as_millis()).unwrap_or(u64::MAX)
}

#[async_trait::async_trait]
impl Store for RedisStore {
    async fn put(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(kind, key)).arg(value).arg("PX").arg(ttl_millis(ttl));
        self.run::<()>("SET", &cmd).await
    }

    async fn put_new(&self, kind: Kind, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(kind, key)).arg(value).arg("NX").arg("PX").arg(ttl_millis(ttl));
        match self.run::<Value>("SET NX", &cmd).await? {
            Value::Okay => Ok(true),
            Value::Nil => Ok(false),
            _ => Err(StoreError::Unavailable("redis SET NX: unexpected reply".to_owned())),
        }
    }

    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.key(kind, key));
        self.run("GET", &cmd).await
    }

    async fn take(&self, kind: Kind, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(self.key(kind, key));
        self.run("GETDEL", &cmd).await
    }

    async fn delete(&self, kind: Kind, key: &str) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(kind, key));
        let n: u64 = self.run("DEL", &cmd).await?;
        Ok(n > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.run::<()>("PING", &redis::cmd("PING")).await
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(500);

    fn reason(r: Result<RedisStore, StoreError>) -> String {
        match r {
            Err(StoreError::Unavailable(reason)) => reason,
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[test]
    fn connect_does_not_need_redis_to_be_up() {
        // Nothing listens on port 1; connecting is deferred to the first call.
        let s = RedisStore::connect("redis://127.0.0.1:1/0", DEFAULT_PREFIX, T).unwrap();
        assert_eq!(s.backend(), "redis");
    }

    #[test]
    fn connect_rejects_an_unparsable_url_without_echoing_it() {
        let r = reason(RedisStore::connect("http://:hunter2@example.org/", DEFAULT_PREFIX, T));
        assert!(r.starts_with("invalid redis url"), "{r}");
        assert!(!r.contains("hunter2"), "{r}");
        let r = reason(RedisStore::connect("redis://:hunter2@example.org/not-a-db", DEFAULT_PREFIX, T));
        assert!(r.contains("Invalid database number") && !r.contains("hunter2"), "{r}");
    }

    #[test]
    fn connect_refuses_tls_without_certificate_verification() {
        let r = reason(RedisStore::connect("rediss://redis.example.org:6380/0#insecure", DEFAULT_PREFIX, T));
        assert!(r.contains("#insecure"), "{r}");
        assert!(RedisStore::connect("rediss://redis.example.org:6380/0", DEFAULT_PREFIX, T).is_ok());
    }

    #[test]
    fn debug_shows_the_endpoint_but_not_the_password() {
        let s = RedisStore::connect("redis://user:hunter2@redis.example.org:6390/3", "p:", T).unwrap();
        let d = format!("{s:?}");
        assert!(d.contains("redis.example.org:6390/3") && d.contains("\"p:\""), "{d}");
        assert!(!d.contains("hunter2"), "{d}");
    }

    #[test]
    fn keys_are_prefix_kind_and_key() {
        let s = RedisStore::connect("redis://127.0.0.1/", DEFAULT_PREFIX, T).unwrap();
        assert_eq!(s.key(Kind::ResponseHandle, "abc"), "eidas:response:abc");
        assert_eq!(s.key(Kind::Replay, "_id:1"), "eidas:replay:_id:1");
    }

    #[test]
    fn ttls_are_sent_in_whole_milliseconds_of_at_least_one() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 1);
        assert_eq!(ttl_millis(Duration::from_secs(300)), 300_000);
        assert_eq!(ttl_millis(Duration::MAX), 365 * 24 * 3600 * 1000);
    }

    #[test]
    fn reasons_name_refused_credentials() {
        let e = RedisError::from((redis::ErrorKind::AuthenticationFailed, "Password authentication failed"));
        assert_eq!(describe(&e, "PING"), "redis PING: authentication failed");
    }
}

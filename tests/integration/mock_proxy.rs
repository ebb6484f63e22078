//! The mock foreign proxy service (`tests/oracles/mock_proxy.py`) as a child process on real
//! HTTP, for the tests that run the connector against a peer: start it, read where it listens,
//! drive its control endpoints, stop and restart it on the same port. Also [`parse_form`], which
//! reads an HTTP-POST binding page (ours or the mock's).
//!
//! The mock signs and encrypts with python-xmlsec and pyca/cryptography, never with our code.
//! This harness needs only `std`: its calls block (plain HTTP/1.0 on loopback), which is fine
//! from a `#[tokio::test]` as long as the call does not wait on a server of the same runtime.
//! [`MockProxy::post_sso`] does (the mock fetches the connector metadata while answering): from
//! an async test whose connector runs in-process, post the form with an async client instead.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::support;

/// How long the mock may take to print where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Read timeout of one HTTP exchange (the mock's `slow` metadata mode sleeps 30 s).
const HTTP_TIMEOUT: Duration = Duration::from_secs(40);

/// A running mock proxy service; killed on drop.
pub struct MockProxy {
    child: Option<Child>,
    python: PathBuf,
    country: String,
    port: u16,
    metadata_url: String,
    sso_url: String,
    log_dir: PathBuf,
    /// Given again to a restarted mock (`--connector-metadata`).
    connector_metadata_url: Mutex<Option<String>>,
}

impl MockProxy {
    /// Starts the mock for `country` on a free loopback port. `None` (a skip, or a failure under
    /// `EIDAS_TEST_REQUIRE_ALL=1`) when no Python with the oracle modules is available.
    ///
    /// # Panics
    /// When the mock starts but does not announce its port in time (a bug in the mock: its
    /// stderr is in the message).
    pub fn start(country: &str) -> Option<Self> {
        let python = support::python()?;
        if !script().is_file() {
            return support::skip("tests/oracles/mock_proxy.py is absent");
        }
        let log_dir = temp_dir();
        let mut mock = Self {
            child: None,
            python,
            country: country.to_owned(),
            port: 0,
            metadata_url: String::new(),
            sso_url: String::new(),
            log_dir,
            connector_metadata_url: Mutex::new(None),
        };
        mock.spawn(0);
        Some(mock)
    }

    fn spawn(&mut self, port: u16) {
        let log = std::fs::File::create(self.log_dir.join("mock_proxy.log")).expect("log file");
        let mut command = Command::new(&self.python);
        command
            .arg(script())
            .args(["--port", &port.to_string(), "--country", &self.country, "--pki"])
            .arg(support::repo_file("certs/test-pki"));
        if let Some(url) = self.connector_metadata_url.lock().unwrap().as_deref() {
            command.args(["--connector-metadata", url]);
        }
        let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log).spawn().expect("python starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let Ok(announced) = serde_json::from_str::<Value>(&line) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the mock proxy did not start (stdout {line:?}); its log:\n{}", self.log());
        };
        self.port = u16::try_from(announced["port"].as_u64().expect("port")).expect("a port");
        self.metadata_url = announced["metadata_url"].as_str().expect("metadata_url").to_owned();
        self.sso_url = announced["sso_url"].as_str().expect("sso_url").to_owned();
        self.child = Some(child);
    }

    /// Its metadata URL, which is also its entityID and the `Issuer` of its Responses.
    pub fn metadata_url(&self) -> &str {
        &self.metadata_url
    }

    /// Its HTTP-POST SingleSignOnService URL (the `Destination` of our AuthnRequest).
    pub fn sso_url(&self) -> &str {
        &self.sso_url
    }

    /// The loopback port it listens on (kept across [`Self::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The country it serves (`eidas:NodeCountry`, issuer of its PersonIdentifiers).
    pub fn country(&self) -> &str {
        &self.country
    }

    /// `GET /metadata`: what it serves now (see [`Self::set_metadata_mode`]).
    pub fn fetch_metadata(&self) -> std::io::Result<HttpReply> {
        http("GET", &self.metadata_url, None, b"")
    }

    /// `GET /last`: the last AuthnRequest received and the answer (`Value::Null` before any):
    /// `id`, `issuer`, `destination`, `issue_instant`, `force_authn`, `is_passive`, `provider_name`,
    /// `name_id_format`, `loa` (first AuthnContextClassRef), `loa_refs`, `comparison`,
    /// `requested_attributes` (`name`, `friendly_name`, `is_required`), `relay_state`,
    /// `signature_verified`, `error` (why it was refused, or null), and `response` (`scenario`,
    /// `id`, `signer`, then `status` for a failure, or `identity`, `assertion_id`, `loa`, `name_id`,
    /// `name_id_format` and `values` by attribute local name).
    pub fn last_request(&self) -> Value {
        self.control("GET", "/last", None)
    }

    /// `POST /control/rollover`: from now on Responses are signed with the next key (`idp-ec-p256`,
    /// ECDSA SHA-256, after the initial `idp-rsa3072`), and the metadata publishes only its
    /// certificate. Returns `{"signer", "signature_method"}`.
    pub fn rollover(&self) -> Value {
        self.control("POST", "/control/rollover", Some(b"{}"))
    }

    /// `POST /control/metadata`: what `/metadata` serves: `ok`, `garbage` (200, not XML),
    /// `error500`, `slow` (answers after 30 s), `expired` (validUntil an hour ago, correctly
    /// signed), `unsigned`, `tampered` (signing certificate swapped after signing).
    pub fn set_metadata_mode(&self, mode: &str) {
        let body = serde_json::json!({ "mode": mode }).to_string();
        self.control("POST", "/control/metadata", Some(body.as_bytes()));
    }

    /// `POST /control/connector`: fetch the connector metadata from `url` (loopback) rather than
    /// from the AuthnRequest `Issuer`, whose entityID must still equal that `Issuer`. On a
    /// stopped mock, only remembered for [`Self::restart`].
    pub fn set_connector_metadata_url(&self, url: &str) {
        if self.child.is_some() {
            let body = serde_json::json!({ "metadata_url": url }).to_string();
            self.control("POST", "/control/connector", Some(body.as_bytes()));
        }
        *self.connector_metadata_url.lock().unwrap() = Some(url.to_owned());
    }

    /// `POST /control/encryption`: encrypt Assertions to the certificate `cert_pem` (a member
    /// state still holding an older copy of our metadata) rather than to our metadata's first
    /// encryption certificate; `None`: back to the metadata. `GET /last` tells which one was used
    /// (`encrypted_to`, SHA-256 hex).
    pub fn encrypt_to(&self, cert_pem: Option<&str>) {
        let body = serde_json::json!({ "cert_pem": cert_pem }).to_string();
        self.control("POST", "/control/encryption", Some(body.as_bytes()));
    }

    /// `POST /control/reset`: first signing key, metadata `ok`, no last request (the connector
    /// metadata URL stays).
    pub fn reset(&self) {
        self.control("POST", "/control/reset", Some(b"{}"));
    }

    /// Posts an AuthnRequest (the `SAMLRequest` value, base64) to `/sso?{query}` as a browser
    /// would; `query` is e.g. `scenario=cancel&identity=greek&loa=high` or empty.
    ///
    /// # Blocking
    /// The mock fetches the connector metadata before answering: not from a runtime that also
    /// runs that connector (see the module documentation).
    pub fn post_sso(&self, query: &str, saml_request: &str, relay_state: &str) -> std::io::Result<HttpReply> {
        let url = if query.is_empty() { self.sso_url.clone() } else { format!("{}?{query}", self.sso_url) };
        let body = format!("SAMLRequest={}&RelayState={}", form_encode(saml_request), form_encode(relay_state));
        http("POST", &url, Some("application/x-www-form-urlencoded"), body.as_bytes())
    }

    /// Kills the mock (its port then refuses connections): "the metadata server is down".
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, in its initial state (first key, metadata `ok`, no
    /// last request) but with the connector metadata URL given before.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        self.spawn(port);
        assert_eq!(self.port, port, "restarted on another port");
    }

    /// What the mock wrote on stderr so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_dir.join("mock_proxy.log")).unwrap_or_default()
    }

    fn control(&self, method: &str, path: &str, body: Option<&[u8]>) -> Value {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let reply = http(method, &url, body.map(|_| "application/json"), body.unwrap_or_default())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}; mock log:\n{}", self.log()));
        assert_eq!(reply.status, 200, "{method} {path}: {}", reply.text());
        serde_json::from_slice(&reply.body).expect("JSON reply")
    }
}

impl Drop for MockProxy {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.log_dir);
    }
}

fn script() -> PathBuf {
    support::repo_file("tests/oracles/mock_proxy.py")
}

fn temp_dir() -> PathBuf {
    let mut rnd = [0u8; 8];
    openssl::rand::rand_bytes(&mut rnd).unwrap();
    let dir = std::env::temp_dir()
        .join(format!("eidas-mock-proxy-{}", rnd.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Header fields, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.0 exchange with a `http://host:port/path` URL on loopback; `Connection: close`.
pub fn http(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> std::io::Result<HttpReply> {
    http_with_timeout(method, url, content_type, body, HTTP_TIMEOUT)
}

/// [`http`] with its own read timeout.
pub fn http_with_timeout(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<HttpReply> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(|| invalid("not an http:// URL"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP reply"))
}

fn parse_reply(raw: &[u8]) -> Option<HttpReply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(HttpReply { status, headers, body: raw[end + 4..].to_vec() })
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The first `<form>` of an HTML page: its `action` and its `<input type="hidden">` fields
/// (name, value), in order, with character references (`&amp;`, `&quot;`, `&lt;`, `&gt;`,
/// `&#39;`, `&#NN;`, `&#xHH;`) decoded. `None` when there is no form with an action.
pub fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = find_tag(html, 0, "form")?;
    let (form_attrs, after_form) = tag_attributes(html, start)?;
    let action = attr(&form_attrs, "action")?;
    let end = html[after_form..].find("</form").map_or(html.len(), |i| after_form + i);
    let mut fields = Vec::new();
    let mut at = after_form;
    while let Some(i) = find_tag(&html[..end], at, "input") {
        let (attrs, next) = tag_attributes(html, i)?;
        if attr(&attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden")) {
            if let Some(name) = attr(&attrs, "name") {
                fields.push((name, attr(&attrs, "value").unwrap_or_default()));
            }
        }
        at = next;
    }
    Some((action, fields))
}

/// Every start tag of an HTML page, in order: its lower-cased name and its attributes (values
/// decoded). Text that is not a tag (`a < b` in a script) is skipped.
pub fn all_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = html[at..].find('<').map(|i| at + i) {
        at = i + 1;
        if !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let end = html[i + 1..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |j| i + 1 + j);
        if let Some((attrs, next)) = tag_attributes(html, i) {
            out.push((html[i + 1..end].to_ascii_lowercase(), attrs));
            at = next;
        }
    }
    out
}

/// The attributes of every `<name>` tag of an HTML page, in order.
pub fn tags(html: &str, name: &str) -> Vec<Vec<(String, String)>> {
    all_tags(html).into_iter().filter(|(n, _)| n == name).map(|(_, attrs)| attrs).collect()
}

/// The byte offset of the next `<name` tag (case-insensitive) at or after `from`.
fn find_tag(html: &str, from: usize, name: &str) -> Option<usize> {
    let lower = html.get(from..)?.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut offset = 0;
    while let Some(i) = lower[offset..].find(&needle) {
        let at = offset + i;
        let next = lower.as_bytes().get(at + needle.len()).copied();
        if next.is_some_and(|c| c.is_ascii_whitespace() || c == b'>' || c == b'/') {
            return Some(from + at);
        }
        offset = at + needle.len();
    }
    None
}

/// The attributes of the tag starting at `start` (raw names lower-cased, values decoded) and
/// the offset just past its `>`.
fn tag_attributes(html: &str, start: usize) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = html.as_bytes();
    let mut i = start + 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' && bytes[i] != b'/' {
        i += 1;
    }
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if *bytes.get(i)? == b'>' {
            return Some((attrs, i + 1));
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let quote = *bytes.get(i)?;
            let (from, to) = if quote == b'"' || quote == b'\'' {
                let close = html[i + 1..].find(char::from(quote))? + i + 1;
                let span = (i + 1, close);
                i = close + 1;
                span
            } else {
                let from = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                (from, i)
            };
            value = unescape(&html[from..to]);
        }
        attrs.push((name, value));
    }
}

/// The value of the attribute `name` (`Some("")` for a bare attribute such as `disabled`).
pub fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Decodes the character references an attribute value may hold.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';').filter(|&j| j <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

mod tests;

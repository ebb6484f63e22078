//! A tiny HTTP/1.1 server on `127.0.0.1:0` that stands in for a proxy service's metadata
//! endpoint: the test switches what it answers (a document, garbage, an error status, a slow or
//! oversized answer), stops and restarts it on the same port, and counts the requests.
//!
//! Hand-written on a tokio `TcpListener`: one request per connection, `Connection: close`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server answers to every request.
#[derive(Debug, Clone)]
pub enum Serve {
    /// `200` with this body and its `Content-Length`.
    Body(Vec<u8>),
    /// `200` with this body and no `Content-Length` (the body ends when the connection closes).
    BodyUntilClose(Vec<u8>),
    /// This status, an empty body, and `Location` for a 3xx.
    Status(u16),
    /// Waits, then answers `200` with this body.
    Slow(Duration, Vec<u8>),
}

/// The running server.
pub struct MetadataServer {
    addr: SocketAddr,
    serve: Arc<Mutex<Serve>>,
    requests: Arc<AtomicUsize>,
    task: Option<JoinHandle<()>>,
}

/// The path the metadata is served at.
pub const PATH: &str = "/EidasNode/ServiceMetadata";

impl MetadataServer {
    /// Listens on a free loopback port.
    pub async fn start(serve: Serve) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut server = Self {
            addr: listener.local_addr().unwrap(),
            serve: Arc::new(Mutex::new(serve)),
            requests: Arc::new(AtomicUsize::new(0)),
            task: None,
        };
        server.listen(listener);
        server
    }

    /// The metadata URL.
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.addr)
    }

    /// Changes the answer.
    pub fn serve(&self, serve: Serve) {
        *self.serve.lock().unwrap() = serve;
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Closes the listening socket: connections are refused until [`MetadataServer::restart`].
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.listen(listener);
    }

    fn listen(&mut self, listener: TcpListener) {
        let (serve, requests) = (Arc::clone(&self.serve), Arc::clone(&self.requests));
        self.task = Some(tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let answer = serve.lock().unwrap().clone();
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    if read_request(stream, answer, &requests).await.is_err() {
                        // The client gave up (timeout tests): nothing to do.
                    }
                });
            }
        }));
    }
}

impl Drop for MetadataServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn read_request(mut stream: TcpStream, answer: Serve, requests: &AtomicUsize) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let ok = |body: &[u8], length: bool| {
        let mut out =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/samlmetadata+xml\r\nConnection: close\r\n".to_vec();
        if length {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    };
    let bytes = match answer {
        Serve::Body(body) => ok(&body, true),
        Serve::BodyUntilClose(body) => ok(&body, false),
        Serve::Status(code) => format!(
            "HTTP/1.1 {code} Status\r\nLocation: https://elsewhere.example/md\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes(),
        Serve::Slow(delay, body) => {
            tokio::time::sleep(delay).await;
            ok(&body, true)
        }
    };
    stream.write_all(&bytes).await?;
    stream.shutdown().await
}

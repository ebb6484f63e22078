//! Graceful shutdown (issue 7): a request in flight when the stop comes finishes, and nothing new
//! is accepted.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::*;

/// Longest wait for the listeners to close once the stop is asked.
const CLOSING: Duration = Duration::from_secs(10);

/// `http://127.0.0.1:PORT` → `127.0.0.1:PORT`.
fn authority(base: &str) -> &str {
    base.strip_prefix("http://").unwrap()
}

/// True once a TCP connection to `base` is refused.
async fn refuses_connections(base: &str) -> bool {
    matches!(TcpStream::connect(authority(base)).await, Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

#[tokio::test]
async fn graceful_shutdown_lets_an_acs_post_in_flight_finish_and_refuses_new_connections() {
    let Some(mock) = MockProxy::start("XA") else { return };
    let app = spawn_app(&mock, &AppOptions::default()).await;
    let (status, started) = start(&app, &start_body(&mock, "substantial")).await;
    assert_eq!(status, 201, "{started}");
    let mut browser = Browser::new();
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let (_, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;

    // The proxy's POST reaches the ACS: the head and half of the body are sent...
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut conn = TcpStream::connect(authority(&app.public)).await.unwrap();
    // `Expect: 100-continue`: the server's "100 Continue" says the request is being handled (its
    // head parsed, the handler reading the body), so the stop below finds it in flight however
    // loaded the machine is.
    let head = format!(
        "POST /eidas/acs HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nCookie: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        authority(&app.public),
        body.len(),
        browser.cookie_header(),
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.flush().await.unwrap();
    expect_continue(&mut conn, CLOSING).await;
    conn.write_all(first.as_bytes()).await.unwrap();
    conn.flush().await.unwrap();

    // ...when the stop comes.
    let handle = app.handle.clone();
    let stopping = tokio::spawn(async move { handle.stop(true).await });
    let (public, internal) = (app.public.clone(), app.internal.clone());
    wait_for("both listeners closed", CLOSING, || {
        let (public, internal) = (public.clone(), internal.clone());
        async move { (refuses_connections(&public).await && refuses_connections(&internal).await).then_some(()) }
    })
    .await;
    assert!(!stopping.is_finished(), "the stop must wait for the request in flight");

    // The rest of the body: the request completes and the browser goes back to the hub.
    conn.write_all(rest.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let reply = String::from_utf8_lossy(&raw);
    hub_location(&reply);

    stopping.await.unwrap();
    assert!(app.task.await.unwrap().is_ok());
    assert!(refuses_connections(&public).await);
    assert!(refuses_connections(&internal).await);
}

/// Reads the interim response to a request sent with `Expect: 100-continue` and asserts it is
/// `100 Continue`, within `bound`.
pub(crate) async fn expect_continue(conn: &mut TcpStream, bound: Duration) {
    let mut interim = Vec::new();
    let read_interim = async {
        let mut byte = [0u8; 1];
        while !interim.ends_with(b"\r\n\r\n") {
            conn.read_exact(&mut byte).await.unwrap();
            interim.push(byte[0]);
        }
    };
    tokio::time::timeout(bound, read_interim).await.expect("a 100 Continue");
    assert!(interim.starts_with(b"HTTP/1.1 100 Continue"), "{}", String::from_utf8_lossy(&interim));
}

/// The `Location` of a raw HTTP reply that must be the 303 back to the hub with a result.
pub(crate) fn hub_location(reply: &str) -> &str {
    assert!(reply.starts_with("HTTP/1.1 303 See Other\r\n"), "{reply}");
    let location = reply
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .unwrap_or_else(|| panic!("no Location in {reply}"));
    assert!(location.starts_with("http://127.0.0.1:9/hub/callback?response_handle="), "{location}");
    location
}

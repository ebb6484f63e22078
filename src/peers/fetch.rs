//! Fetching a metadata document: one GET of the configured URL with connect and total
//! timeouts, no redirects, and a body size limit enforced while reading.
//!
//! It returns bytes and nothing else: it must not interpret them (that is `verify`), and it
//! only ever fetches the configured URL, never one a message names (eidas-spec §6.3).

use reqwest::header::{HeaderValue, ACCEPT};
use reqwest::Url;

use super::{PeersError, PeersOptions};

/// What we ask for: SAML metadata first (SAML Metadata 2.0 §4.1 media type).
const ACCEPT_METADATA: &str = "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1";

/// The one client of [`super::Peers`].
pub(super) fn build_client(opts: &PeersOptions, allow_http: bool) -> Result<reqwest::Client, PeersError> {
    reqwest::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.fetch_timeout)
        // eidas-spec §6.3 (CEF `metadata.restrict.http`): a redirect could leave HTTPS or the
        // configured host; the URL is the entityID, so a move is a configuration change.
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!allow_http)
        .user_agent(concat!("eidas-connector/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(PeersError::HttpClient)
}

/// HTTPS, or plain HTTP to a loopback host when `insecure_allow_http` is set (the
/// configuration checks this already; checked again before every fetch).
pub(super) fn check_url(url: &Url, insecure_allow_http: bool) -> Result<(), ()> {
    match url.scheme() {
        // eIDAS MF 1.4 (eidas-spec §6.1): the entityID, so the metadata URL, is an HTTPS URL.
        "https" if url.host().is_some() => Ok(()),
        "http" if insecure_allow_http && is_loopback(url) => Ok(()),
        _ => Err(()),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// GETs the country's metadata URL and returns the body, at most `max_bytes` of it.
pub(super) async fn fetch_metadata(
    client: &reqwest::Client,
    country: &super::Country,
    max_bytes: usize,
) -> Result<Vec<u8>, PeersError> {
    let url = &country.url;
    check_url(url, country.config.settings.insecure_allow_http)
        .map_err(|()| PeersError::InsecureUrl(country.config.code))?;
    let mut response = client
        .get(url.clone())
        .header(ACCEPT, HeaderValue::from_static(ACCEPT_METADATA))
        .send()
        .await
        .map_err(transport)?;
    let status = response.status();
    // RFC 9110 §15: only a 2xx carries the document (redirects are not followed, see above).
    if !status.is_success() {
        return Err(PeersError::HttpStatus(status.as_u16()));
    }
    let too_large = PeersError::TooLarge { limit: max_bytes };
    // xmlsec-profile 1: input up to a configured size, enforced while reading (the announced
    // length first, then what actually arrives).
    if response.content_length().is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len().saturating_add(chunk.len()) > max_bytes {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn transport(e: reqwest::Error) -> PeersError {
    if e.is_timeout() {
        PeersError::Timeout(e)
    } else if e.is_connect() {
        PeersError::Connect(e)
    } else {
        PeersError::Transport(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str, http: bool) -> bool {
        check_url(&Url::parse(url).unwrap(), http).is_ok()
    }

    #[test]
    fn https_is_always_allowed() {
        assert!(allowed("https://eidas.example.es/EidasNode/ServiceMetadata", false));
        assert!(allowed("https://eidas.example.es/EidasNode/ServiceMetadata", true));
    }

    #[test]
    fn plain_http_is_allowed_only_to_loopback_with_the_insecure_setting() {
        for url in ["http://127.0.0.1:8080/md", "http://localhost/md", "http://[::1]:9/md", "http://127.1.2.3/md"] {
            assert!(allowed(url, true), "{url}");
            assert!(!allowed(url, false), "{url}");
        }
        for url in ["http://10.0.0.1/md", "http://eidas.example.es/md", "http://localhost.example.es/md"] {
            assert!(!allowed(url, true), "{url}");
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in ["ftp://eidas.example.es/md", "file:///etc/passwd", "data:text/xml,<x/>"] {
            assert!(!allowed(url, true), "{url}");
        }
    }
}

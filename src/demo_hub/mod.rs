//! A demo of the French OIDC hub (FranceConnect+), for `eidas-connector demo` and the browser
//! tests: a French service's login page with the eIDAS button (step 1), the call to the
//! connector's internal API and the redirect to it (steps 2–3 happen at the connector and the
//! foreign proxy service), the callback with its login-CSRF state check, the hub's consent
//! page "you are about to sign in as…" (step 4) and the signed-in page (step 5), in French and
//! English (`reference/franceconnect.md` §1.2, §3c).
//!
//! It talks to the connector only through the internal JSON API, over HTTP with the bearer
//! token, exactly as a real hub does (DESIGN §2.1); it never reaches into the connector's
//! state. It is a demo: no OIDC towards service providers, sessions in memory with a short
//! TTL, no configuration file. It must not be exposed as a real hub.

mod client;
mod pages;
mod routes;
mod sessions;
mod texts;
mod view;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpRequest, HttpServer};

use self::client::ConnectorClient;
use self::sessions::Sessions;
use crate::routes::request_id::with_request_id;

/// How long a session lives after its last change (the identity is personal data: short).
const SESSION_TTL: Duration = Duration::from_secs(15 * 60);
/// At most this many sessions at once.
const MAX_SESSIONS: usize = 10_000;
/// The largest form body accepted.
const MAX_FORM_BYTES: usize = 4 * 1024;

/// What the demo hub needs.
#[derive(Clone)]
pub struct DemoHubSettings {
    /// Its origin as the browser sees it (`http://127.0.0.1:8000`); the connector must allow
    /// `{public_url}/hub/` in `api.return_urls`.
    pub public_url: String,
    /// The connector's internal listener (`http://127.0.0.1:8081`).
    pub connector_api_url: String,
    /// One of the connector's `api.tokens`.
    ///
    /// # Security
    /// A secret: never logged.
    pub api_token: String,
    /// The service the citizen signs in to (`Service public de démonstration`).
    pub service_name: String,
}

impl std::fmt::Debug for DemoHubSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoHubSettings")
            .field("public_url", &self.public_url)
            .field("connector_api_url", &self.connector_api_url)
            .field("api_token", &"[redacted]")
            .field("service_name", &self.service_name)
            .finish()
    }
}

/// Everything the routes share.
#[derive(Debug)]
struct Hub {
    settings: DemoHubSettings,
    client: ConnectorClient,
    sessions: Sessions,
    sessions_ttl: Duration,
    /// `{public_url}/hub/callback`.
    callback_url: String,
    /// `__Host-demo_hub_session` over HTTPS, `demo_hub_session` on plain HTTP (loopback demo).
    cookie_name: &'static str,
    /// Whether the cookie is `Secure`.
    secure: bool,
}

impl Hub {
    fn new(settings: DemoHubSettings) -> Result<Self, String> {
        let public = url::Url::parse(&settings.public_url)
            .map_err(|e| format!("public_url {:?}: {e}", settings.public_url))?
            .origin();
        if !public.is_tuple() {
            return Err(format!("public_url {:?} has no origin", settings.public_url));
        }
        let origin = public.ascii_serialization();
        let secure = origin.starts_with("https://");
        let client = ConnectorClient::new(&settings.connector_api_url, &settings.api_token)?;
        Ok(Self {
            callback_url: format!("{origin}/hub/callback"),
            cookie_name: if secure { "__Host-demo_hub_session" } else { "demo_hub_session" },
            secure,
            client,
            sessions: Sessions::new(SESSION_TTL, MAX_SESSIONS),
            sessions_ttl: SESSION_TTL,
            settings,
        })
    }
}

/// A form the hub cannot read (too large, malformed): the error page.
fn form_config() -> web::FormConfig {
    web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(
        |e: actix_web::error::UrlencodedError, req: &HttpRequest| {
            let lang = texts::Lang::choose(
                None,
                None,
                req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
            );
            let page = match req.app_data::<web::Data<Hub>>() {
                Some(hub) => routes::error_page(
                    hub,
                    lang,
                    StatusCode::BAD_REQUEST,
                    pages::ErrorKind::BadRequest,
                    "invalid_form",
                    None,
                ),
                None => actix_web::HttpResponse::BadRequest().finish(),
            };
            actix_web::error::InternalError::from_response(e, page).into()
        },
    )
}

/// The demo hub's HTTP server on `listener` (one worker; it stops on SIGINT or SIGTERM, or
/// through the returned server's handle). Fails when `public_url` or `connector_api_url` is
/// not a URL.
pub fn build_server(settings: DemoHubSettings, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let hub = web::Data::new(Hub::new(settings).map_err(std::io::Error::other)?);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(hub.clone())
            .app_data(form_config())
            .wrap(from_fn(with_request_id))
            .configure(routes::configure)
    })
    .listen(listener)?
    .workers(1)
    .shutdown_timeout(5)
    .run();
    Ok(server)
}

//! The container image (issue 9) run for real with podman: the image named by
//! `EIDAS_TEST_IMAGE` (`docker/build-image.sh` makes `localhost/eidas-connector:dev`) as the
//! connector, with a read-only root filesystem, its configuration and keys mounted read-only,
//! a writable metadata cache, the image's non-root user and the host's network, against the
//! Python mock proxy service on loopback. Skips (fails under `EIDAS_TEST_REQUIRE_ALL=1`) without
//! podman, the image or the Python oracles.
//!
//! Every container is removed at the end, even when an assertion fails ([`Container`]'s drop).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

use crate::mock_proxy::MockProxy;
use crate::service::{
    back_at_hub, client, config_text, start_body, to_proxy_and_back, wait_for, AppOptions, Browser, PeerConfig, TOKEN,
};
use crate::support::{repo_file, skip, TempDir};

/// The image's user (docker/Dockerfile `USER`).
const IMAGE_UID: &str = "10001";
/// Where the image reads its configuration and keys.
const CONFIG_DIR: &str = "/etc/eidas-connector";
/// The metadata cache folder inside the container (`server.metadata_cache_dir`).
const CACHE_DIR: &str = "/var/cache/eidas-connector";
/// Longest wait for the container's service to answer `/healthz`.
const STARTING: Duration = Duration::from_secs(60);

/// podman, with the runc runtime when installed (crun refuses hybrid cgroup layouts).
struct Podman {
    runtime: Option<&'static str>,
}

impl Podman {
    /// podman and the image `EIDAS_TEST_IMAGE`, or a skip.
    fn with_image() -> Option<(Self, String)> {
        let found = Command::new("podman").arg("--version").output().is_ok_and(|o| o.status.success());
        if !found {
            return skip("podman is not installed (apt-get install podman runc; see docs/container.md)");
        }
        let runc = Command::new("runc").arg("--version").output().is_ok_and(|o| o.status.success());
        let podman = Self { runtime: runc.then_some("runc") };
        let Some(image) = std::env::var("EIDAS_TEST_IMAGE").ok().filter(|i| !i.is_empty()) else {
            return skip("EIDAS_TEST_IMAGE is not set (docker/build-image.sh builds localhost/eidas-connector:dev)");
        };
        if !podman.run(&["image", "exists", &image]).status.success() {
            return skip(&format!("EIDAS_TEST_IMAGE={image} is not in podman's storage (run docker/build-image.sh)"));
        }
        Some((podman, image))
    }

    fn command(&self) -> Command {
        let mut command = Command::new("podman");
        if let Some(runtime) = self.runtime {
            command.args(["--runtime", runtime]);
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("podman runs")
    }

    /// `args`' standard output, trimmed; panics with standard error when podman fails.
    fn text(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "podman {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// A container started by a test; `podman rm -f` on drop.
struct Container<'a> {
    podman: &'a Podman,
    name: String,
}

impl Container<'_> {
    fn inspect(&self, format: &str) -> String {
        self.podman.text(&["container", "inspect", "--format", format, &self.name])
    }

    fn running(&self) -> bool {
        self.inspect("{{.State.Running}}") == "true"
    }

    /// What the service wrote (JSON lines on standard error), for failure messages.
    fn logs(&self) -> String {
        let out = self.podman.run(&["logs", &self.name]);
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self.podman.run(&["rm", "--force", "--time", "0", &self.name]);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn copy(from: &str, dir: &Path, name: &str) {
    std::fs::copy(repo_file(from), dir.join(name)).unwrap();
}

/// The configuration folder mounted at `/etc/eidas-connector`: `config.toml` (the test
/// configuration, on `public` and `internal`, caching in [`CACHE_DIR`]) beside the DEMO keys and
/// the mock's metadata-signing anchor, all named relative to it.
fn config_dir(mock: &MockProxy, public: u16, internal: u16) -> TempDir {
    let dir = TempDir::new();
    copy("certs/demo/sign.key.pem", &dir.0, "sign.key.pem");
    copy("certs/demo/sign.crt.pem", &dir.0, "sign.crt.pem");
    copy("certs/demo/enc.key.pem", &dir.0, "enc.key.pem");
    copy("certs/demo/enc.crt.pem", &dir.0, "enc.crt.pem");
    copy("certs/test-pki/idp-metadata-signer.crt.pem", &dir.0, "idp-metadata-signer.crt.pem");
    let peer = PeerConfig { trust: "idp-metadata-signer.crt.pem".into(), ..PeerConfig::of(mock) };
    let opts = AppOptions {
        keys: Some(
            "signing = { key = \"sign.key.pem\", cert = \"sign.crt.pem\" }\n\
             encryption = [{ key = \"enc.key.pem\", cert = \"enc.crt.pem\" }]\n"
                .into(),
        ),
        cache_dir: Some(CACHE_DIR.into()),
        ..AppOptions::default()
    };
    let text = config_text(public, &peer, &opts);
    let internal_listen = "internal_listen = \"127.0.0.1:0\"";
    assert!(text.contains(internal_listen), "{text}");
    let text = text.replace(internal_listen, &format!("internal_listen = \"127.0.0.1:{internal}\""));
    assert!(!text.contains(&repo_file("").to_string_lossy().into_owned()), "a host path in {text}");
    std::fs::write(dir.0.join("config.toml"), text).unwrap();
    dir
}

/// A host folder the image's user may write (mounted at [`CACHE_DIR`]).
fn writable_dir() -> TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

fn mount(host: &Path, target: &str, mode: &str) -> String {
    format!("type=bind,source={},target={target},{mode}", host.display())
}

/// Starts `image` (its own entrypoint, command and user) read-only on the host's network.
fn run_image<'a>(podman: &'a Podman, image: &str, config: &Path, cache: &Path, public: u16) -> Container<'a> {
    let name = format!("eidas-test-{public}-{}", std::process::id());
    let container = Container { podman, name: name.clone() };
    let health_url = format!("EIDAS_CONNECTOR_HEALTHCHECK_URL=http://127.0.0.1:{public}/healthz");
    let (config_mount, cache_mount) = (mount(config, CONFIG_DIR, "ro"), mount(cache, CACHE_DIR, "rw"));
    let out = podman.run(&[
        "run",
        "--detach",
        "--name",
        &name,
        // Nothing writable but the cache mount: no tmpfs on /tmp, /run or /var/tmp either.
        "--read-only",
        "--read-only-tmpfs=false",
        "--network",
        "host",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        "--mount",
        &config_mount,
        "--mount",
        &cache_mount,
        "--env",
        &health_url,
        image,
    ]);
    // Without systemd, podman logs that it cannot set up the periodic healthcheck timer; the
    // container runs all the same and `podman healthcheck run` works.
    assert!(out.status.success(), "podman run: {}", String::from_utf8_lossy(&out.stderr));
    container
}

async fn get(url: &str) -> Option<(u16, String)> {
    let res = client().get(url).timeout(Duration::from_secs(5)).send().await.ok()?;
    let status = res.status().as_u16();
    Some((status, res.text().await.unwrap_or_default()))
}

async fn api_post(url: &str, body: Option<&Value>) -> (u16, Value) {
    let mut request = client().post(url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(body);
    }
    let res = request.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[test]
fn container_image_declares_a_numeric_user_both_ports_the_healthcheck_and_its_labels() {
    let Some((podman, image)) = Podman::with_image() else { return };
    let inspect = |format: &str| podman.text(&["image", "inspect", "--format", format, &image]);
    assert_eq!(inspect("{{.Config.User}}"), format!("{IMAGE_UID}:{IMAGE_UID}"));
    assert_eq!(inspect("{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}"), "8080/tcp 8081/tcp");
    assert_eq!(
        inspect("{{.Config.Entrypoint}} {{.Config.Cmd}}"),
        format!("[/usr/local/bin/eidas-connector] [serve --config {CONFIG_DIR}/config.toml]")
    );
    assert_eq!(inspect("{{.Config.Healthcheck.Test}}"), "[CMD /usr/local/bin/eidas-connector healthcheck]");
    let labels: Value = serde_json::from_str(&inspect("{{json .Config.Labels}}")).unwrap();
    assert_eq!(labels["org.opencontainers.image.title"], "eidas-connector", "{labels}");
    assert_eq!(labels["org.opencontainers.image.licenses"], "EUPL-1.2", "{labels}");
    assert_eq!(labels["org.opencontainers.image.version"], env!("CARGO_PKG_VERSION"), "{labels}");
    for key in ["description", "source", "revision"] {
        let value = labels[format!("org.opencontainers.image.{key}")].as_str().unwrap_or_default();
        assert!(!value.is_empty(), "org.opencontainers.image.{key} missing: {labels}");
    }
}

#[tokio::test]
async fn container_image_serves_a_whole_journey_read_only_as_non_root_and_stops_cleanly_on_sigterm() {
    let Some((podman, image)) = Podman::with_image() else { return };
    let Some(mock) = MockProxy::start("XA") else { return };
    let (public, internal) = (free_port(), free_port());
    let (config, cache) = (config_dir(&mock, public, internal), writable_dir());
    let container = run_image(&podman, &image, &config.0, &cache.0, public);
    let (public_url, internal_url) = (format!("http://127.0.0.1:{public}"), format!("http://127.0.0.1:{internal}"));

    // Up: /healthz, then /readyz once the mock's metadata is verified.
    wait_for("the container's /healthz", STARTING, || {
        let (url, container) = (format!("{public_url}/healthz"), &container);
        async move {
            assert!(container.running(), "the container stopped:\n{}", container.logs());
            get(&url).await.filter(|(status, _)| *status == 200)
        }
    })
    .await;
    let (status, ready) = get(&format!("{public_url}/readyz")).await.unwrap();
    assert_eq!(status, 200, "{ready}\n{}", container.logs());
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(ready["countries"]["XA"], "available", "{ready}");

    // Our signed metadata, at our entityID.
    let metadata_url = format!("{public_url}/eidas/metadata");
    let (status, metadata) = get(&metadata_url).await.unwrap();
    assert_eq!(status, 200, "{metadata}");
    assert!(metadata.contains("EntityDescriptor") && metadata.contains(&format!("entityID=\"{metadata_url}\"")));
    assert!(metadata.contains("SignatureValue>"), "unsigned metadata: {metadata}");

    // Non-root, read-only root filesystem, the engine's healthcheck.
    // `podman top` reads the process's credentials from the host: `user` through the image's
    // /etc/passwd, where `eidas` is 10001.
    let top = podman.text(&["top", &container.name, "user", "args"]);
    let process = top.lines().find(|l| l.contains("eidas-connector serve")).unwrap_or_else(|| panic!("{top}"));
    assert_eq!(process.split_whitespace().next(), Some("eidas"), "{top}");
    assert_eq!(container.inspect("{{.Config.User}}"), format!("{IMAGE_UID}:{IMAGE_UID}"));
    assert_eq!(container.inspect("{{.HostConfig.ReadonlyRootfs}}"), "true");
    let health = podman.run(&["healthcheck", "run", &container.name]);
    assert!(health.status.success(), "podman healthcheck run: {}", String::from_utf8_lossy(&health.stderr));

    // The journey: the hub starts, the browser goes to the mock and back to the container's
    // ACS, the hub consumes the identity.
    mock.set_connector_metadata_url(&metadata_url);
    let body = start_body(&mock, "substantial");
    let (status, started) = api_post(&format!("{internal_url}/api/v1/authn-requests"), Some(&body)).await;
    assert_eq!(status, 201, "{started}\n{}", container.logs());
    let mut browser = Browser::new();
    let redirect = started["browser_redirect_url"].as_str().unwrap();
    let (acs, fields) = to_proxy_and_back(&mut browser, redirect, "scenario=success").await;
    assert_eq!(acs, format!("{public_url}/eidas/acs"));
    let (handle, state) = back_at_hub(&browser.post_form(&acs, &fields).await);
    assert_eq!(state.as_deref(), Some("hub-state-42"));
    let consume_url = format!("{internal_url}/api/v1/authn-responses/{handle}/consume");
    let (status, identity) = api_post(&consume_url, None).await;
    assert_eq!(status, 200, "{identity}");
    assert_eq!(identity["status"], "success", "{identity}");
    let sent = mock.last_request();
    assert_eq!(sent["signature_verified"], true, "the mock verified our AuthnRequest with our metadata: {sent}");
    assert_eq!(identity["claims"]["sub_source"], sent["response"]["values"]["PersonIdentifier"], "{identity}");

    // The one place it writes: the metadata cache, on the writable mount.
    assert!(cache.0.join("XA.xml").is_file(), "no cached metadata in the mounted cache dir");
    assert!(container.running(), "{}", container.logs());

    // SIGHUP (`podman kill --signal HUP`): PID 1 has a handler, so the [keys] are reloaded and
    // the service goes on.
    let hup = podman.run(&["kill", "--signal", "HUP", &container.name]);
    assert!(hup.status.success(), "podman kill HUP: {}", String::from_utf8_lossy(&hup.stderr));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !container.logs().contains("configuration reloaded") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = container.logs();
    assert!(logs.contains("configuration reloaded: the [keys] section is in force"), "{logs}");
    assert!(container.running(), "{logs}");
    let (status, _) = get(&format!("{public_url}/healthz")).await.unwrap();
    assert_eq!(status, 200);

    // SIGTERM (`podman stop`): a graceful stop, exit code 0.
    let stop = podman.run(&["stop", "--time", "30", &container.name]);
    assert!(stop.status.success(), "podman stop: {}", String::from_utf8_lossy(&stop.stderr));
    let logs = container.logs();
    assert_eq!(container.inspect("{{.State.ExitCode}}"), "0", "{logs}");
    assert!(logs.contains("shutting down: finishing in-flight requests"), "{logs}");
    assert!(!logs.contains(TOKEN), "a token in the logs");
}

//! `docker/compose.yaml` without a container engine (registry images cannot be pulled here):
//! the file is read with the Python venv's `yaml` (skip without it), `${VAR}` interpolated with
//! sample secrets, and every service's mounts are laid out as symlinks in a folder that mirrors
//! the container's file system. Then every mounted file exists, each connector's configuration
//! loads as the container would load it (relative paths, the environment compose sets), both
//! instances share the store and the public origin, the balancer lists both, and the ports and
//! URLs of the balancer, the hub and the TEST proxy service agree.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use eidas_connector::commands::mock_proxy::load_config;
use eidas_connector::config::Config;
use serde_json::Value;

use crate::support::{self, repo_file, TempDir};

const REDIS_PASSWORD: &str = "sample-redis-password";
const HUB_API_TOKEN: &str = "sample-hub-api-token-0123456789";

/// A Python with `yaml`: `EIDAS_TEST_PYTHON`, the repository's `.venv`, or `python3`.
fn python_with_yaml() -> Option<PathBuf> {
    let candidates = std::env::var_os("EIDAS_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo_file(".venv/bin/python"), PathBuf::from("python3")]);
    for python in candidates {
        if Command::new(&python).args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success()) {
            return Some(python);
        }
    }
    support::skip("no Python with yaml (tests/vectors/requirements.txt has PyYAML; .ci/run installs it)")
}

/// `docker/compose.yaml` as JSON, interpolated; `None` (a skip) without Python's `yaml`.
fn compose() -> Option<Value> {
    let python = python_with_yaml()?;
    let out = Command::new(&python)
        .args(["-c", "import sys, json, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"])
        .arg(repo_file("docker/compose.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "docker/compose.yaml does not parse: {}", String::from_utf8_lossy(&out.stderr));
    Some(interpolate(serde_json::from_slice(&out.stdout).unwrap()))
}

/// Compose's interpolation: `${NAME}`, `${NAME:?message}`, `$$` → `$`.
fn interpolate(v: Value) -> Value {
    match v {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find('$') {
                out.push_str(&rest[..i]);
                rest = &rest[i..];
                if let Some(r) = rest.strip_prefix("$$") {
                    out.push('$');
                    rest = r;
                } else if let Some(r) = rest.strip_prefix("${") {
                    let end = r.find('}').expect("closed ${");
                    let name = r[..end].split([':', '-', '?']).next().unwrap();
                    out.push_str(match name {
                        "REDIS_PASSWORD" => REDIS_PASSWORD,
                        "HUB_API_TOKEN" => HUB_API_TOKEN,
                        other => panic!("compose.yaml uses an unknown variable {other}"),
                    });
                    rest = &r[end + 1..];
                } else {
                    panic!("a bare $ in {s:?}");
                }
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(interpolate).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, interpolate(v))).collect()),
        other => other,
    }
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    let s = &compose["services"][name];
    assert!(s.is_object(), "no service {name}");
    s
}

/// A service's `environment` (map form).
fn env(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

/// A service's bind mounts: (host path, container path), the host path checked to exist.
fn mounts(service: &Value) -> Vec<(PathBuf, String)> {
    let docker = repo_file("docker");
    service["volumes"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|m| {
                    let spec = m.as_str().expect("short volume syntax");
                    let mut parts = spec.split(':');
                    let (source, target) = (parts.next().unwrap(), parts.next().expect("a target"));
                    assert!(source.starts_with('.'), "{spec}: a bind mount of a repository file");
                    let host = docker.join(source);
                    assert!(host.exists(), "{spec}: {} does not exist", host.display());
                    assert!(parts.all(|o| o == "ro"), "{spec}: mounted read-only");
                    (host.canonicalize().unwrap(), target.to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The container's view of `service`'s mounts: symlinks under a fresh folder.
fn container_view(service: &Value) -> TempDir {
    let root = TempDir::new();
    for (host, target) in mounts(service) {
        let at = root.0.join(target.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&host, &at).unwrap();
    }
    root
}

fn in_view(root: &TempDir, container_path: &str) -> PathBuf {
    root.0.join(container_path.trim_start_matches('/'))
}

fn port_of(url_or_addr: &str) -> u16 {
    url_or_addr.rsplit(':').next().unwrap().trim_end_matches('/').split('/').next().unwrap().parse().unwrap()
}

/// The ports `pod` publishes on loopback (host port = container port).
fn published(compose: &Value) -> Vec<u16> {
    let ports = service(compose, "pod")["ports"].as_array().unwrap();
    ports
        .iter()
        .map(|p| {
            let p = p.as_str().unwrap();
            assert!(p.starts_with("127.0.0.1:"), "{p}: published on loopback only");
            let parts: Vec<&str> = p.split(':').collect();
            assert_eq!(parts[1], parts[2], "{p}: same port outside and inside");
            parts[1].parse().unwrap()
        })
        .collect()
}

/// The `server` addresses of a `backend` of `docker/compose/haproxy.cfg`, and its other lines.
fn haproxy_backend(cfg: &str, name: &str) -> (Vec<String>, Vec<String>) {
    let mut inside = false;
    let (mut servers, mut lines) = (Vec::new(), Vec::new());
    for line in cfg.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if ["global", "defaults", "frontend ", "backend "].iter().any(|s| line.starts_with(s)) {
            inside = line == format!("backend {name}");
            continue;
        }
        if inside {
            match line.strip_prefix("server ") {
                Some(s) => servers.push(s.split_whitespace().nth(1).unwrap().to_owned()),
                None => lines.push(line.to_owned()),
            }
        }
    }
    (servers, lines)
}

/// The `bind` address of a `frontend`.
fn haproxy_bind(cfg: &str, name: &str) -> String {
    let at = cfg.find(&format!("frontend {name}")).unwrap_or_else(|| panic!("no frontend {name}"));
    let bind = cfg[at..].lines().map(str::trim).find_map(|l| l.strip_prefix("bind ")).unwrap();
    bind.trim().to_owned()
}

#[test]
fn both_connectors_load_the_one_shared_configuration_with_what_compose_sets() {
    let Some(compose) = compose() else { return };
    let (a, b) = (service(&compose, "connector-a"), service(&compose, "connector-b"));
    for s in [a, b] {
        assert_eq!(s["image"], "localhost/eidas-connector:dev");
        assert_eq!(s["command"], serde_json::json!(["serve", "--config", "/etc/eidas-connector/config.toml"]));
        assert_eq!(s["read_only"], true);
        assert_eq!(s["network_mode"], "service:pod");
    }
    assert_eq!(mounts(a), mounts(b), "one configuration and the same keys for both");
    let (env_a, env_b) = (env(a), env(b));
    assert_eq!(env_a.keys().collect::<Vec<_>>(), env_b.keys().collect::<Vec<_>>());
    for (key, value) in &env_a {
        let differs = key.starts_with("EIDAS_CONNECTOR__SERVER__") && key.ends_with("_LISTEN");
        assert_eq!(value != &env_b[key], differs, "{key}: only the listeners differ");
        assert!(!key.starts_with("EIDAS_CONNECTOR__CONNECTOR__"), "{key}: the identity is shared");
    }
    assert_eq!(env_a["EIDAS_CONNECTOR__STORE__REDIS_URL"], format!("redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"));

    for (name, s) in [("connector-a", a), ("connector-b", b)] {
        let view = container_view(s);
        let path = in_view(&view, "/etc/eidas-connector/config.toml");
        // As the container loads it: the environment compose sets, nothing from ours.
        let mut command = Command::new(env!("CARGO_BIN_EXE_eidas-connector"));
        command.args(["metadata", "print", "--config"]).arg(&path);
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("EIDAS_CONNECTOR")) {
            command.env_remove(k);
        }
        let out = command.envs(env(s)).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
        let metadata = String::from_utf8_lossy(&out.stdout);
        assert!(metadata.contains("entityID=\"http://127.0.0.1:8080/eidas/metadata\""), "{name}: {metadata}");
    }
}

#[test]
fn the_balancer_lists_both_instances_round_robin_behind_the_published_public_origin() {
    let Some(compose) = compose() else { return };
    let view = container_view(service(&compose, "connector-a"));
    let config = Config::load(Some(&in_view(&view, "/etc/eidas-connector/config.toml"))).unwrap();
    let s = &config.settings;
    assert_eq!(s.store.backend, "redis");
    let origin = s.server.public_base_url.clone().unwrap();
    assert!(s.connector.acs_url.starts_with(&origin) && s.connector.entity_id.starts_with(&origin));

    let lb = service(&compose, "lb");
    assert_eq!(lb["read_only"], true);
    let lb_view = container_view(lb);
    let cfg = std::fs::read_to_string(in_view(&lb_view, "/usr/local/etc/haproxy/haproxy.cfg")).unwrap();
    let listeners = |key: &str| -> Vec<String> {
        ["connector-a", "connector-b"].iter().map(|n| env(service(&compose, n))[key].clone()).collect()
    };
    for (backend, key) in [
        ("connectors_public", "EIDAS_CONNECTOR__SERVER__PUBLIC_LISTEN"),
        ("connectors_internal", "EIDAS_CONNECTOR__SERVER__INTERNAL_LISTEN"),
    ] {
        let (servers, lines) = haproxy_backend(&cfg, backend);
        assert_eq!(servers, listeners(key), "{backend}");
        assert!(lines.iter().any(|l| l == "balance roundrobin"), "{backend}: {lines:?}");
        for sticky in ["cookie", "stick", "balance source", "hash-type"] {
            assert!(!lines.iter().any(|l| l.starts_with(sticky)), "{backend} is sticky: {lines:?}");
        }
    }
    // The browser's origin is the balancer's public frontend, published on loopback.
    let public_port = port_of(&origin);
    assert_eq!(port_of(&haproxy_bind(&cfg, "public")), public_port);
    assert!(published(&compose).contains(&public_port), "{public_port} not published");
    // The internal frontend is not.
    assert!(!published(&compose).contains(&port_of(&haproxy_bind(&cfg, "internal"))));
}

#[test]
fn the_hub_the_test_proxy_service_and_redis_agree_with_the_connector_configuration() {
    let Some(compose) = compose() else { return };
    let view = container_view(service(&compose, "connector-a"));
    let config = Config::load(Some(&in_view(&view, "/etc/eidas-connector/config.toml"))).unwrap();
    let published = published(&compose);

    let mock = service(&compose, "mock-proxy");
    assert_eq!(mock["command"], serde_json::json!(["mock-proxy", "--config", "/etc/eidas-connector/mock-proxy.toml"]));
    let mock_view = container_view(mock);
    let mock_config = load_config(&in_view(&mock_view, "/etc/eidas-connector/mock-proxy.toml"))
        .unwrap_or_else(|e| panic!("{}: {}", e.code, e.detail));
    let entity_id = mock_config.settings.entity_id();
    let country = &config.countries[0];
    assert_eq!(country.settings.metadata_url, entity_id, "the connector fetches what the mock serves");
    assert_eq!(country.code.as_str(), mock_config.settings.country.as_str());
    assert!(published.contains(&port_of(&mock_config.listen)), "the mock's port is published");
    assert_eq!(port_of(&mock_config.listen), port_of(&entity_id.replace("/metadata", "")));

    let hub = service(&compose, "demo-hub");
    assert_eq!(hub["command"], serde_json::json!(["demo-hub"]));
    let hub_env = env(hub);
    let hub_url = &hub_env["EIDAS_DEMO_HUB_PUBLIC_URL"];
    assert!(published.contains(&port_of(hub_url)) && port_of(hub_url) == port_of(&hub_env["EIDAS_DEMO_HUB_LISTEN"]));
    assert!(config.settings.api.return_urls.contains(&format!("{hub_url}/hub/")), "the hub's callback is allowed");
    let lb_cfg = std::fs::read_to_string(repo_file("docker/compose/haproxy.cfg")).unwrap();
    assert_eq!(hub_env["EIDAS_DEMO_HUB_CONNECTOR_API_URL"], format!("http://{}", haproxy_bind(&lb_cfg, "internal")));
    // The token: a compose secret from HUB_API_TOKEN, the same the connectors accept.
    let secret = hub_env["EIDAS_DEMO_HUB_API_TOKEN_FILE"].strip_prefix("/run/secrets/").unwrap();
    assert_eq!(hub["secrets"], serde_json::json!([secret]));
    assert_eq!(compose["secrets"][secret]["environment"], "HUB_API_TOKEN");
    assert!(!hub_env.values().any(|v| v.contains(HUB_API_TOKEN)), "the hub's token only as a file");
    assert_eq!(env(service(&compose, "connector-a"))["EIDAS_CONNECTOR__API__TOKENS"], HUB_API_TOKEN);

    let redis = service(&compose, "redis");
    let command = redis["command"].as_array().unwrap().last().unwrap().as_str().unwrap().to_owned();
    assert!(command.contains("--requirepass \"$REDIS_PASSWORD\"") && command.contains("--port 6379"), "{command}");
    assert_eq!(env(redis)["REDIS_PASSWORD"], REDIS_PASSWORD);
    assert_eq!(redis["read_only"], true);
}

#!/usr/bin/env python3
"""A mock foreign eIDAS proxy service on real HTTP, for the connector's integration tests.

It serves signed proxy metadata and answers our AuthnRequest with Responses made by
independent implementations (python-xmlsec, pyca/cryptography; see `mock_proxy_saml.py`),
never by the connector's Rust code.

Usage:
    mock_proxy.py [--port 0] [--country XA] [--valid-secs 86400] [--pki certs/test-pki]
                  [--connector-metadata URL]

When listening it prints ONE JSON line on stdout, then logs to stderr only:
    {"port": N, "metadata_url": "http://127.0.0.1:N/metadata", "sso_url": "http://127.0.0.1:N/sso"}

Endpoints (entityID = the metadata URL):
  GET  /metadata            the proxy metadata, signed by idp-metadata-signer (RSASSA-PSS SHA-256)
  POST /sso?scenario=S&identity=I&loa=L
                            form SAMLRequest (base64) + RelayState: verifies the AuthnRequest against
                            the connector metadata (fetched from its Issuer, or from --connector-metadata
                            / POST /control/connector; loopback only), then answers an HTML page with a
                            <form method="post" action="ACS"> holding SAMLResponse and RelayState.
                            400 with a short text when the request is refused.
  GET  /last                JSON about the last AuthnRequest received and the answer (null before any), with
                            `encrypted_to`: the SHA-256 (hex) of the certificate the Assertion was encrypted to
  POST /control/rollover    sign Responses with the next key (idp-rsa3072 -> idp-ec-p256 -> idp-rsa3072 …,
                            RSASSA-PSS or ECDSA SHA-256) and publish only its certificate in the metadata
  POST /control/metadata    {"mode": "ok"|"garbage"|"error500"|"slow"|"drip"|"expired"|"unsigned"|"tampered"
                            |"all_signers"|"other_signer"|"entity_mismatch"|"xsw", "valid_secs": N (optional)}:
                            slow answers after 30 s, drip sends the head then one byte every half second; the
                            last four: mock_proxy_attacks_more.build_metadata (other_signer: signed by a key the
                            connector does not trust); valid_secs sets validUntil = now + N from now on
  POST /control/connector   {"metadata_url": URL}: where to fetch the connector metadata from
  POST /control/encryption  {"cert_pem": PEM or null}: encrypt Assertions to this certificate rather than to the
                            connector metadata's first encryption certificate (a member state that still holds
                            an older copy of our metadata); null: back to the metadata
  POST /control/reset       first signing key, metadata "ok" and valid_secs as started, no last request, encryption
                            from the metadata
  GET  /healthz             200
Query of POST /sso (the test posts the form itself, so it chooses the answer):
  scenario  success (default: the requested LoA, or `loa`), cancel (Responder/RequestDenied, consent not
            given), authn_failed (Responder/AuthnFailed 003002), loa_not_met (Responder, 202019), loa_low
            (success asserting LoA low), bad_signature (signed, then Consent changed), signed_by_attacker,
            wrong_audience, wrong_destination, expired (Conditions NotOnOrAfter 5 min ago), unsigned;
            atk_* (an attack of attacks.md §2.1-2.8) and ok_* (a valid variant), bound to the request:
            see mock_proxy_attacks.py and mock_proxy_attacks_more.py
  identity  default (MDS + PlaceOfBirth + Gender), greek (names also in Greek script, LatinScript="false"),
            address (with a structured CurrentAddress); optional attributes only when requested
  loa       low | substantial | high | a LoA URI (default: the AuthnRequest's first AuthnContextClassRef)
PersonIdentifier and NameID (the requested NameIDPolicy Format, persistent when absent) are
COUNTRY/<connector NodeCountry>/<stable id of the identity>; transient NameIDs are random.
Exits with status 0 on SIGTERM or SIGINT.
"""

import argparse
import base64
import datetime
import html
import json
import signal
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.dont_write_bytecode = True  # keep the tree free of __pycache__

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "vectors"))  # the saml_gen package

import mock_proxy_attacks_more as attacks  # noqa: E402
import mock_proxy_saml as saml  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402

REPO = HERE.parent.parent
METADATA_MODES = ("ok", "garbage", "error500", "slow", "drip", "expired", "unsigned", "tampered") + attacks.METADATA_MODES
SLOW_SECS = 30
DRIP_SECS = 0.5
MAX_BODY_BYTES = 1 << 20


class State:
    """What the control endpoints change and /last reports; every access holds the lock."""

    def __init__(self, proxy: saml.Proxy, valid_secs: int, connector_metadata_url: str | None):
        self.lock = threading.Lock()
        self.initial = proxy
        self.initial_valid_secs = valid_secs
        self.connector_metadata_url = connector_metadata_url
        self.reset()

    def reset(self):
        """Back to the first signing key, metadata "ok" and no last request (the connector URL stays)."""
        with self.lock:
            self.proxy = self.initial
            self.metadata_mode = "ok"
            self.valid_secs = self.initial_valid_secs
            self.last = None
            self.encryption_cert = None

    def rollover(self) -> saml.Proxy:
        """Switches to the next response-signing key (cycling through saml.ROLLOVER_KEYS)."""
        with self.lock:
            keys = saml.ROLLOVER_KEYS
            self.proxy = replace(self.proxy, signer=keys[(keys.index(self.proxy.signer) + 1) % len(keys)])
            return self.proxy


def first(params: dict, name: str, default: str | None = None) -> str | None:
    """The first value of `name` in a parsed query string or form."""
    values = params.get(name)
    return values[0] if values else default


def json_object(body: bytes) -> dict:
    """A control call's JSON object body (ValueError otherwise: answered 400)."""
    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def auto_submit_page(action: str, fields: dict) -> bytes:
    """The HTTP-POST binding page: a plain form of hidden inputs, submitted on load."""
    def esc(v: str) -> str:
        return html.escape(v, quote=True).replace("&#x27;", "&#39;")
    inputs = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">\n' for k, v in fields.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Mock proxy service</title></head>\n"
        "<body onload=\"document.forms[0].submit()\">\n"
        f'<form method="post" action="{esc(action)}">\n{inputs}'
        "<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n</body>\n</html>\n"
    ).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    """Routes one request; the state is `self.server.state`."""

    server_version = "mock-proxy/1"

    # --- plumbing --------------------------------------------------------------------------------

    def log_message(self, fmt, *args):
        sys.stderr.write(f"mock_proxy: {self.address_string()} {fmt % args}\n")

    def reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"):
        """Sends a whole answer with its length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, value):
        """Sends `value` as JSON."""
        self.reply(status, (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8"), "application/json")

    def body(self) -> bytes:
        """The request body (at most 1 MiB)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("body too large")
        return self.rfile.read(length)

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = urllib.parse.urlsplit(self.path).path
        routes = {"/metadata": self.metadata, "/last": self.last, "/healthz": lambda: self.reply(200, b"ok\n")}
        routes.get(path, self.not_found)()

    def do_POST(self):  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        routes = {"/sso": lambda: self.sso(urllib.parse.parse_qs(parts.query)), "/control/rollover": self.rollover,
                  "/control/metadata": self.metadata_mode, "/control/connector": self.connector,
                  "/control/encryption": self.encryption, "/control/reset": self.reset}
        try:
            routes.get(parts.path, self.not_found)()
        except ValueError as exc:
            self.reply(400, f"{exc}\n".encode())

    def not_found(self):
        """Any other path."""
        self.reply(404, b"not found\n")

    # --- endpoints -------------------------------------------------------------------------------

    def metadata(self):
        """GET /metadata, as the metadata mode says."""
        state = self.server.state
        with state.lock:
            proxy, mode, valid_secs = state.proxy, state.metadata_mode, state.valid_secs
        if mode == "error500":
            return self.reply(500, b"metadata service unavailable\n")
        if mode == "garbage":
            return self.reply(200, b"<md:EntityDescriptor this is not XML", "application/samlmetadata+xml")
        if mode == "slow":
            time.sleep(SLOW_SECS)
        now = saml.now_utc()
        valid_until = now - datetime.timedelta(hours=1) if mode == "expired" else now + datetime.timedelta(
            seconds=valid_secs)
        if mode in attacks.METADATA_MODES:
            return self.reply(200, attacks.build_metadata(proxy, valid_until, mode), "application/samlmetadata+xml")
        data = saml.build_metadata(proxy, valid_until, signed=mode != "unsigned")
        if mode == "drip":
            return self.drip(data)
        if mode == "tampered":
            data = saml.tamper_metadata(data, proxy)
        self.reply(200, data, "application/samlmetadata+xml")

    def drip(self, data: bytes):
        """The head, then the body one byte every DRIP_SECS (a peer on a dying link), until the client leaves."""
        self.send_response(200)
        self.send_header("Content-Type", "application/samlmetadata+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(DRIP_SECS)
        except OSError:
            pass  # the client gave up: what the connector's fetch timeout is for

    def last(self):
        """GET /last."""
        with self.server.state.lock:
            self.reply_json(200, self.server.state.last)

    def sso(self, query: dict):
        """POST /sso: verify the AuthnRequest, answer the auto-submit form of the scenario's Response."""
        scenario = first(query, "scenario", "success")
        identity = first(query, "identity", "default")
        loa = first(query, "loa")
        if (scenario not in saml.SCENARIOS and scenario not in attacks.SCENARIOS) or identity not in saml.IDENTITIES:
            return self.reply(400, f"unknown scenario {scenario!r} or identity {identity!r}\n".encode())
        form = urllib.parse.parse_qs(self.body().decode("ascii", "replace"))
        relay_state = first(form, "RelayState")
        record = {"relay_state": relay_state, "signature_verified": False, "error": None}
        state = self.server.state
        with state.lock:
            proxy, override, encryption_cert = state.proxy, state.connector_metadata_url, state.encryption_cert
        try:
            root, request = saml.parse_authn_request(saml.decode_saml_request(first(form, "SAMLRequest", "")))
            record.update(request.summary())
            connector = saml.read_connector(override or request.issuer or "", request.issuer)
            saml.verify_request_signature(root, connector.signing_certs)
            record["signature_verified"] = True
            if encryption_cert is not None:
                connector = replace(connector, encryption_cert=encryption_cert)
            record["encrypted_to"] = connector.encryption_cert.fingerprint(hashes.SHA256()).hex()
            if scenario in attacks.SCENARIOS:
                data, record["response"] = attacks.build(proxy, request, connector, scenario)
            else:
                data, record["response"] = saml.build_response(proxy, request, connector, scenario, identity, loa)
        except saml.Refused as exc:
            return self.refuse(record, 400, f"AuthnRequest refused: {exc}")
        except Exception as exc:  # noqa: BLE001 (a bug in the mock: say it in the answer, not by a reset)
            traceback.print_exc()
            return self.refuse(record, 500, f"mock proxy error: {type(exc).__name__}: {exc}")
        with state.lock:
            state.last = record
        fields = {"SAMLResponse": base64.b64encode(data).decode("ascii")}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        self.reply(200, auto_submit_page(connector.acs_url, fields), "text/html; charset=utf-8")

    def refuse(self, record: dict, status: int, message: str):
        """Records the refused exchange for GET /last and answers `status` with `message`."""
        record["error"] = message
        with self.server.state.lock:
            self.server.state.last = record
        sys.stderr.write(f"mock_proxy: {message}\n")
        self.reply(status, f"{message}\n".encode())

    def rollover(self):
        """POST /control/rollover."""
        proxy = self.server.state.rollover()
        method, _ = proxy.pki.signature_method(proxy.signer)
        self.reply_json(200, {"signer": proxy.signer, "signature_method": method})

    def metadata_mode(self):
        """POST /control/metadata {"mode": …}."""
        body = json_object(self.body())
        mode, valid_secs = body.get("mode"), body.get("valid_secs")
        if mode not in METADATA_MODES:
            raise ValueError(f"mode must be one of {', '.join(METADATA_MODES)}")
        if valid_secs is not None and (not isinstance(valid_secs, int) or valid_secs < 1):
            raise ValueError("valid_secs must be a positive integer")
        with self.server.state.lock:
            self.server.state.metadata_mode = mode
            if valid_secs is not None:
                self.server.state.valid_secs = valid_secs
            valid_secs = self.server.state.valid_secs
        self.reply_json(200, {"mode": mode, "valid_secs": valid_secs})

    def connector(self):
        """POST /control/connector {"metadata_url": …} (null: back to the AuthnRequest Issuer)."""
        url = json_object(self.body()).get("metadata_url")
        if url is not None:
            try:
                saml.require_loopback(url)
            except saml.Refused as exc:
                raise ValueError(str(exc)) from None
        with self.server.state.lock:
            self.server.state.connector_metadata_url = url
        self.reply_json(200, {"metadata_url": url})

    def encryption(self):
        """POST /control/encryption {"cert_pem": …} (null: the connector metadata's first encryption certificate)."""
        pem = json_object(self.body()).get("cert_pem")
        cert = None
        if pem is not None:
            cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        with self.server.state.lock:
            self.server.state.encryption_cert = cert
        self.reply_json(200, {"encrypt_to": None if cert is None else cert.fingerprint(hashes.SHA256()).hex()})

    def reset(self):
        """POST /control/reset."""
        self.server.state.reset()
        self.reply_json(200, {"reset": True})


def parse_args(argv):
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--country", default="XA", help="eidas:NodeCountry and PersonIdentifier issuer (default XA)")
    ap.add_argument("--valid-secs", type=int, default=86400, help="metadata validUntil = now + this")
    ap.add_argument("--pki", type=Path, default=REPO / "certs" / "test-pki", help="test PKI directory")
    ap.add_argument("--connector-metadata", help="fetch the connector metadata here instead of its Issuer URL")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    """Serves until SIGTERM or SIGINT; prints the JSON line once listening."""
    args = parse_args(argv)
    if args.connector_metadata:
        saml.require_loopback(args.connector_metadata)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    proxy = saml.Proxy(entity_id=f"{base}/metadata", sso_url=f"{base}/sso", country=args.country,
                       pki=saml.Pki(args.pki.resolve()))
    server.state = State(proxy, args.valid_secs, args.connector_metadata)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="mock-proxy", daemon=True)
    thread.start()
    print(json.dumps({"port": port, "metadata_url": proxy.entity_id, "sso_url": proxy.sso_url}), flush=True)
    sys.stderr.write(f"mock_proxy: listening on {base} for country {args.country}\n")
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    sys.stderr.write("mock_proxy: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

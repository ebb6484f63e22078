"""Shared plumbing of the peer benchmarks (scripts/peer-bench/).

Each peer script validates the Responses of one profile of a perf workload
(../shared/perf-workload layout: manifest.json, <profile>/responses/*.xml, keys/) the way
that peer stack would, and prints one line per Response in the format of
`eidas-connector bench --batch`:

    <file> <microseconds> ok|error:<code>

then a summary line `# <peer> <profile> n=.. ok=.. total_us=.. per_s=..` (a comment for the
format, parsed by scripts/compare.sh). Keys, certificates and metadata are loaded once,
outside the timing; a warm-up pass runs before the timed pass. Only the validation of one
Response is timed (parse, verify, decrypt, conditions), never the file read.

The SAML checks here are the "basic conditions" a typical SP library applies: status,
Destination, Issuer, InResponseTo, the assertion's Issuer, Conditions (NotBefore,
NotOnOrAfter with the manifest's clock skew), AudienceRestriction, the bearer
SubjectConfirmationData (Recipient, NotOnOrAfter, InResponseTo) and the LoA. The clock is
the manifest's `now` (the workload is generated once and replayed later).
"""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from lxml import etree

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
    "xenc11": "http://www.w3.org/2009/xmlenc11#",
    "dsig11": "http://www.w3.org/2009/xmldsig11#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

# A parser as hardened as an SP library's: no DTDs, no network, no entity expansion.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class Reject(Exception):
    """A refused Response; `code` is printed as `error:<code>`."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def parse_instant(text):
    if text is None:
        raise Reject("saml.missing_instant")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Workload:
    """One profile of a perf workload: its manifest entry, paths and the expected values."""

    def __init__(self, directory, profile):
        self.dir = os.path.abspath(directory)
        with open(os.path.join(self.dir, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        try:
            self.profile = manifest["profiles"][profile]
        except KeyError:
            raise SystemExit(f"{profile}: not a profile of {self.dir}/manifest.json "
                             f"(profiles: {', '.join(manifest.get('profiles', {}))})")
        self.name = profile
        self.now = parse_instant(self.profile.get("now", manifest.get("now")))
        self.skew = timedelta(seconds=self.profile.get("clock_skew_s", manifest.get("clock_skew_s", 60)))
        self.acs = self.profile["acs"]
        self.audience = self.profile["audience"]
        self.issuer = self.profile["idp_entity_id"]
        self.loa = self.profile["loa"]
        self.in_response_to = {r["file"]: r["in_response_to"] for r in self.profile["responses"]}
        self.files = [r["file"] for r in self.profile["responses"]]

    def path(self, relative):
        return os.path.join(self.dir, relative)

    def read(self, relative):
        with open(self.path(relative), "rb") as f:
            return f.read()


def check_response(root, workload, file):
    """The Response-level checks (before decryption)."""
    if root.tag != f"{{{NS['samlp']}}}Response":
        raise Reject("saml.not_a_response")
    if root.get("Version") != "2.0":
        raise Reject("saml.version")
    if root.get("Destination") != workload.acs:
        raise Reject("saml.destination_mismatch")
    if root.get("InResponseTo") != workload.in_response_to[file]:
        raise Reject("saml.in_response_to_mismatch")
    issuer = root.find("saml:Issuer", NS)
    if issuer is None or issuer.text != workload.issuer:
        raise Reject("saml.issuer_mismatch")
    status = root.find("samlp:Status/samlp:StatusCode", NS)
    if status is None or status.get("Value") != SUCCESS:
        raise Reject("saml.status_not_success")
    if root.find("saml:Assertion", NS) is not None:
        raise Reject("saml.plaintext_assertion")
    encrypted = root.findall("saml:EncryptedAssertion", NS)
    if len(encrypted) != 1:
        raise Reject("saml.encrypted_assertion_count")
    return encrypted[0]


def check_assertion(assertion, workload, file):
    """The assertion's basic conditions (after decryption)."""
    if assertion.tag != f"{{{NS['saml']}}}Assertion":
        raise Reject("saml.not_an_assertion")
    issuer = assertion.find("saml:Issuer", NS)
    if issuer is None or issuer.text != workload.issuer:
        raise Reject("saml.assertion_issuer_mismatch")
    now, skew = workload.now, workload.skew
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is None:
        raise Reject("saml.no_conditions")
    if conditions.get("NotBefore") and now + skew < parse_instant(conditions.get("NotBefore")):
        raise Reject("saml.not_yet_valid")
    if conditions.get("NotOnOrAfter") and now - skew >= parse_instant(conditions.get("NotOnOrAfter")):
        raise Reject("saml.expired")
    audiences = [a.text for a in conditions.findall("saml:AudienceRestriction/saml:Audience", NS)]
    if workload.audience not in audiences:
        raise Reject("saml.audience_mismatch")
    bearer = [c for c in assertion.findall("saml:Subject/saml:SubjectConfirmation", NS) if c.get("Method") == BEARER]
    if len(bearer) != 1:
        raise Reject("saml.bearer_confirmation_count")
    data = bearer[0].find("saml:SubjectConfirmationData", NS)
    if data is None:
        raise Reject("saml.no_subject_confirmation_data")
    if data.get("Recipient") != workload.acs:
        raise Reject("saml.recipient_mismatch")
    if data.get("InResponseTo") != workload.in_response_to[file]:
        raise Reject("saml.confirmation_in_response_to_mismatch")
    if now - skew >= parse_instant(data.get("NotOnOrAfter")):
        raise Reject("saml.confirmation_expired")
    loa = assertion.find("saml:AuthnStatement/saml:AuthnContext/saml:AuthnContextClassRef", NS)
    if loa is None or loa.text != workload.loa:
        raise Reject("saml.loa_mismatch")
    if assertion.find("saml:Subject/saml:NameID", NS) is None:
        raise Reject("saml.no_name_id")


def arguments(peer):
    p = argparse.ArgumentParser(description=f"Validate a perf workload's Responses as the {peer} stack would")
    p.add_argument("workload", help="the workload folder (manifest.json, <profile>/responses/)")
    p.add_argument("--profile", required=True, help="eidas-rsa or eidas-ec")
    p.add_argument("--rounds", type=int, default=int(os.environ.get("PEER_ROUNDS", "20")),
                   help="timed passes over the profile's Responses (default 20, or PEER_ROUNDS)")
    p.add_argument("--warmup", type=int, default=2, help="untimed passes first (default 2)")
    return p.parse_args()


def run(peer, make_validator):
    """Loads once (make_validator(workload) → validate(bytes, file)), warms up, times, prints."""
    args = arguments(peer)
    workload = Workload(args.workload, args.profile)
    validate = make_validator(workload)
    documents = [(f, workload.read(f)) for f in workload.files]

    def one(file, data):
        start = time.perf_counter_ns()
        try:
            validate(data, file)
            outcome = "ok"
        except Reject as e:
            outcome = f"error:{e.code}"
        except Exception as e:  # a peer's own exception is its refusal; name its type
            outcome = f"error:peer.{type(e).__name__}"
        return (time.perf_counter_ns() - start) // 1000, outcome

    for _ in range(args.warmup):
        for file, data in documents:
            one(file, data)
    total_us, ok, n = 0, 0, 0
    out = sys.stdout
    for _ in range(max(1, args.rounds)):
        for file, data in documents:
            us, outcome = one(file, data)
            out.write(f"{file} {us} {outcome}\n")
            total_us += us
            n += 1
            ok += outcome == "ok"
    per_s = n / (total_us / 1e6) if total_us else 0.0
    out.write(f"# {peer} {workload.name} n={n} ok={ok} total_us={total_us} per_s={per_s:.1f}\n")
    return 0 if ok == n else 1

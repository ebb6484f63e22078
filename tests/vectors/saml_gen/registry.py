"""Collects vectors: writes each file, runs its cross-checks, records its manifest entry."""

import base64
from dataclasses import dataclass, field

from . import scenario as s
from .build import Built, diff
from .checks import check_response, parse, values_of

GENERATOR = "tests/vectors/saml_gen/generate_responses.py"


@dataclass
class Registry:
    """Vectors in generation order (the manifest order is stable)."""

    entries: list = field(default_factory=list)
    built: dict = field(default_factory=dict)  # file name -> Built (for siblings and diffs)

    def add(self, file: str, built: Built, *, expect: str, proves: str, want: dict, sibling: str | None = None,
            defect: str = "", context: dict | None = None, expect_status: dict | None = None,
            check_values: bool | None = None, note: str | None = None, want_legal: dict | None = None) -> dict:
        """Writes `file`, checks it, and records it. Accept vectors (expect "authenticated")
        get `expect_values` read back from the decrypted Assertion and compared with the scenario
        (and `expect_values_legal`, compared with `want_legal`, when legal attributes are sent)."""
        (s.OUT_DIR / file).write_bytes(built.data)
        checked = check_response(built.data, want=want)
        entry = {
            "file": file,
            "expect": expect,
            "context": context or s.context(),
        }
        if expect == "authenticated" or check_values:
            got = values_of(checked["assertion"])
            _assert_expected_values(file, got, want_legal or {})
            if expect == "authenticated":
                entry["expect_values"] = got["values"]
                entry["expect_values_non_latin"] = got["non_latin"]
                if got["legal"]:
                    entry["expect_values_legal"] = got["legal"]
                entry["expect_identity"] = {**got["identity"], "response_id": _response_id(built)}
        if expect_status:
            entry["expect_status"] = expect_status
        if sibling:
            entry["sibling"] = sibling
            entry["defect"] = defect
            changed = diff(self.built.get(sibling), built)
            if changed is not None:
                entry["diff"] = changed
        entry["generator"] = f"{GENERATOR}: " + "; ".join(built.steps)
        entry["proves"] = proves
        if note:
            entry["note"] = note
        entry["crosscheck"] = checked["crosscheck"]
        self.entries.append(entry)
        self.built[file] = built
        return entry

    def add_base64(self, of: str) -> dict:
        """The base64 form (as posted in SAMLResponse) of an already added vector."""
        src = next(e for e in self.entries if e["file"] == of)
        file = of.removesuffix(".xml") + ".b64"
        (s.OUT_DIR / file).write_bytes(base64.b64encode(self.built[of].data))
        entry = {k: v for k, v in src.items() if k not in ("file", "diff", "sibling", "defect", "crosscheck")}
        entry = {"file": file, **entry}
        entry["generator"] = f"{GENERATOR}: base64 (RFC 4648, one line, no newline) of {of}"
        entry["proves"] = f"The base64 form of {of}, as posted in the SAMLResponse form field, gives the same outcome."
        self.entries.append(entry)
        return entry


def _response_id(built: Built) -> str:
    return parse(built.data).get("ID")


def _assert_expected_values(file: str, got: dict, want_legal: dict):
    """The scenario's citizen, as a correct connector must read it (fails the run otherwise)."""
    want = {
        "PersonIdentifier": s.PERSON_ID,
        "CurrentFamilyName": s.FAMILY_NAME_LATIN,
        "CurrentGivenName": s.GIVEN_NAME,
        "DateOfBirth": s.BIRTH_DATE,
        "PlaceOfBirth": s.BIRTH_PLACE,
        "CurrentAddress": dict(s.ADDRESS_PARTS),
        "Gender": s.GENDER_VALUE,
    }
    if got["values"] != want or got["non_latin"] != {"CurrentFamilyName": s.FAMILY_NAME_NON_LATIN}:
        raise AssertionError(f"{file}: unexpected values {got}")
    if got["legal"] != want_legal:
        raise AssertionError(f"{file}: unexpected legal-person values {got['legal']}")
    if got["identity"]["issuer"] != s.PROXY_ENTITY_ID:
        raise AssertionError(f"{file}: unexpected issuer {got['identity']}")

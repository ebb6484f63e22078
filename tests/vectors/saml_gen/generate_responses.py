#!/usr/bin/env python3
"""Generate the SAML Response vectors of tests/vectors/saml/ with independent implementations.

Run from anywhere with a Python that has python-xmlsec, signxml, lxml and cryptography:

    python3 tests/vectors/saml_gen/generate_responses.py

It (re)writes, relative to the repository root:
  tests/vectors/saml/*.xml, *.b64     the Response vectors (fixed file names)
  tests/vectors/saml/manifest.json    one entry per Response vector: expected outcome + context
  tests/vectors/saml/proxy-metadata*.xml, metadata-manifest.json   the peer's metadata
  tests/vectors/saml/README.md        provenance and expected outcome of each file
  certs/test-pki/idp-metadata-signer.{key,crt}.pem   only when absent

File names and every identifier, instant and value are fixed (saml_gen/scenario.py); the
ciphertexts and signature values change on each run (random content keys, IVs, OAEP seeds,
PSS salts), so re-run only when a vector must change, and commit all outputs together.
Each vector is cross-checked (signxml, python-xmlsec, the tests/oracles decrypter) before
the manifest is written; the run stops on any unexpected verdict.
"""

import json
import sys

sys.dont_write_bytecode = True  # keep the tree free of __pycache__

from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/vectors: the saml_gen package
sys.path.insert(0, str(HERE.parent.parent / "oracles"))  # tests/oracles: decrypt/verify oracles

from saml_gen import metadata, readme, vectors  # noqa: E402
from saml_gen import scenario as s  # noqa: E402
from saml_gen.registry import Registry  # noqa: E402
from saml_gen.xmlcrypto import ensure_metadata_signer  # noqa: E402


def main() -> int:
    s.OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in list(s.OUT_DIR.glob("*.xml")) + list(s.OUT_DIR.glob("*.b64")):
        old.unlink()
    created = ensure_metadata_signer()
    registry = Registry()
    vectors.generate(registry)
    (s.OUT_DIR / "manifest.json").write_text(json.dumps(registry.entries, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    md_entries = metadata.generate()
    metadata.write_manifest(md_entries)
    readme.write(registry.entries, md_entries)
    print(f"{len(registry.entries)} Response vectors, {len(md_entries)} metadata files"
          + ("; created certs/test-pki/idp-metadata-signer.*" if created else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

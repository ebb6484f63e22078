#!/usr/bin/env python3
"""Generate the XML-DSig / XML-Enc test vectors with independent implementations.

Run with the venv that has signxml, xmlsec (python-xmlsec), lxml and cryptography
(see requirements.txt), plus the Debian `xmlsec1` CLI on PATH:

    python3 tests/vectors/generate.py              # everything
    python3 tests/vectors/generate.py --only enc   # only the encryption vectors (sig ones kept as they are)

It (re)writes, relative to the repository root:
  certs/test-pki/            test keys and certificates (made once; existing files are reused)
  tests/vectors/xmlsec/sig/  signature vectors        tests/vectors/xmlsec/enc/  encryption vectors
  tests/vectors/xmlsec/manifest.json                  tests/vectors/README.md

Never our Rust code: every signature or ciphertext comes from signxml, python-xmlsec
(libxmlsec1), the xmlsec1 CLI, or is hand-assembled from lxml c14n + pyca/cryptography.
File names are fixed; contents change on each run (PSS salts, ECDSA nonces, GCM IVs and
content keys are random), so re-run only when a vector must change.
"""

import argparse
import json
import sys

sys.dont_write_bytecode = True  # keep the tree free of __pycache__

from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "oracles"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from vectorgen import enc_vectors, pki, readme, sig_accept, sig_reject  # noqa: E402
from vectorgen.common import ENC_DIR, SIG_DIR, XMLSEC_DIR, Manifest, tool_versions  # noqa: E402
from vectorgen.sigemit import SigEmitter  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["sig", "enc"],
                    help="re-make one set; the other set's files and manifest entries are kept")
    args = ap.parse_args()
    versions = tool_versions()
    keys = pki.load_or_create()
    manifest_path = XMLSEC_DIR / "manifest.json"
    kept = json.loads(manifest_path.read_text(encoding="utf-8")) if args.only else []
    remade = {"sig": args.only != "enc", "enc": args.only != "sig"}
    for name, d in (("sig", SIG_DIR), ("enc", ENC_DIR)):
        d.mkdir(parents=True, exist_ok=True)
        if remade[name]:
            for old in d.glob("*.xml"):
                old.unlink()
    manifest = Manifest()
    if remade["sig"]:
        emitter = SigEmitter(keys, manifest, versions)
        sig_accept.generate(emitter)
        sig_reject.generate(emitter)
    else:
        manifest.entries.extend(m for m in kept if m["op"] == "verify")
    if remade["enc"]:
        enc_vectors.generate(keys, manifest, versions)
    else:
        manifest.entries.extend(m for m in kept if m["op"] == "decrypt")
    manifest.write(manifest_path)
    readme.write(manifest, versions)
    print(f"{len(manifest.entries)} manifest entries, "
          f"{len(list(SIG_DIR.glob('*.xml')))} sig files, {len(list(ENC_DIR.glob('*.xml')))} enc files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

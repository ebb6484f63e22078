"""Generator of the SAML Response vectors in tests/vectors/saml/ (entry point: generate_responses.py).

Signatures and ciphertexts come from python-xmlsec (libxmlsec1) and pyca/cryptography, never
from the connector's Rust code; signxml and the tests/oracles scripts cross-check them.
"""

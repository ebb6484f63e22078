"""The parts of tests/vectors/generate.py: PKI, documents, signers, encrypters, vectors, README."""

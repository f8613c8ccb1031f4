-- Certificates of the internal CA and of the keys the platform signs with: the root and the
-- issuing CA, each agency's seal, each official who signs, the timestamp authority.
-- `der_b64` is the certificate (base64 DER); `key_pem` the private key as an encrypted PKCS#8
-- PEM (software keys) or NULL when the key lives on a PKCS#11 token named by `key_uri`.
CREATE TABLE pki_certificates (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    serial_hex  TEXT NOT NULL,
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    der_b64     TEXT NOT NULL,
    key_pem     TEXT,
    key_uri     TEXT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX pki_certificates_owner ON pki_certificates (role, owner);

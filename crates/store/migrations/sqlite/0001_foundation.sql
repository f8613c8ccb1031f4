-- Foundation: organisation model, accounts, sessions, tokens, login throttling, audit chain.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); business dates are TEXT YYYY-MM-DD.
-- valid_from '0001-01-01' means "since before records began"; valid_to NULL means "still valid".

CREATE TABLE admin_units (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    level         TEXT NOT NULL,
    parent_code   TEXT,
    valid_from    TEXT NOT NULL,
    valid_to      TEXT,
    UNIQUE (level, code, valid_from)
);
CREATE INDEX admin_units_parent ON admin_units (level, parent_code);

CREATE TABLE admin_unit_successions (
    predecessor_id TEXT NOT NULL REFERENCES admin_units (id),
    successor_id   TEXT NOT NULL REFERENCES admin_units (id),
    kind           TEXT NOT NULL,
    effective_on   TEXT NOT NULL,
    PRIMARY KEY (predecessor_id, successor_id)
);
CREATE INDEX admin_unit_successions_successor ON admin_unit_successions (successor_id);

CREATE TABLE agencies (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    short_name      TEXT NOT NULL,
    level           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    parent_code     TEXT,
    admin_unit_code TEXT,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT,
    UNIQUE (code, valid_from)
);
CREATE INDEX agencies_parent ON agencies (parent_code);

CREATE TABLE agency_successions (
    predecessor_id TEXT NOT NULL REFERENCES agencies (id),
    successor_id   TEXT NOT NULL REFERENCES agencies (id),
    kind           TEXT NOT NULL,
    effective_on   TEXT NOT NULL,
    PRIMARY KEY (predecessor_id, successor_id)
);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    cccd          TEXT UNIQUE,
    tax_code      TEXT UNIQUE,
    email         TEXT,
    phone         TEXT,
    agency_code   TEXT,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE account_roles (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    PRIMARY KEY (account_id, role, agency_code)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE login_throttle (
    username     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT
);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    before_digest TEXT,
    after_digest  TEXT,
    request_id    TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Procedure catalog (versioned definitions) and the transactional outbox of domain events.

CREATE TABLE procedures (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    name        TEXT NOT NULL,
    field_code  TEXT NOT NULL,
    level       TEXT NOT NULL,
    online_mode TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (code, version)
);
CREATE INDEX procedures_validity ON procedures (code, valid_from);

CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (published_at, id);

-- Dossiers, their files and history; content-addressed blobs; named sequences; drafts.

CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE dossiers (
    id                   TEXT PRIMARY KEY,
    code                 TEXT NOT NULL UNIQUE,
    procedure_code       TEXT NOT NULL,
    procedure_version_id TEXT NOT NULL REFERENCES procedures (id),
    agency_code          TEXT NOT NULL,
    agency_version_id    TEXT NOT NULL REFERENCES agencies (id),
    applicant_account_id TEXT REFERENCES accounts (id),
    applicant_name       TEXT NOT NULL,
    applicant_phone      TEXT,
    applicant_email      TEXT,
    channel              TEXT NOT NULL,
    status               TEXT NOT NULL,
    answers              TEXT NOT NULL,
    received_at          BIGINT NOT NULL,
    due_date             TEXT,
    version              BIGINT NOT NULL,
    idempotency_key      TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    UNIQUE (applicant_account_id, idempotency_key)
);
CREATE INDEX dossiers_applicant ON dossiers (applicant_account_id, received_at);
CREATE INDEX dossiers_agency ON dossiers (agency_code, status);

CREATE TABLE dossier_files (
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    slot       TEXT NOT NULL,
    position   BIGINT NOT NULL,
    sha256     TEXT NOT NULL REFERENCES blobs (sha256),
    file_name  TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    PRIMARY KEY (dossier_id, slot, position)
);

CREATE TABLE dossier_history (
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    seq        BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    status     TEXT NOT NULL,
    note       TEXT,
    PRIMARY KEY (dossier_id, seq)
);

CREATE TABLE drafts (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    procedure_code TEXT NOT NULL,
    answers        TEXT NOT NULL,
    files          TEXT NOT NULL,
    step           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX drafts_account ON drafts (account_id, updated_at);

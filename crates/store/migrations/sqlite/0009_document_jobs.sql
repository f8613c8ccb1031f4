-- Documents an action issues (notices, the signed result) are laid out and signed after the
-- action commits. Each waiting document is one row here, written in the action's transaction
-- and deleted in the transaction that stores the signed document.
CREATE TABLE document_jobs (
    id         TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    kind       TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    spec       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX document_jobs_due ON document_jobs (next_at, id);
CREATE INDEX document_jobs_dossier ON document_jobs (dossier_id);

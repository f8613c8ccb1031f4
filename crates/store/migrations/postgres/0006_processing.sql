-- One-stop processing: workflow versions, where each dossier is in its workflow and who holds
-- it, supplement rounds, the time each agency and step took (legs), issued documents, the
-- apology, the result, its return and the applicant's rating. `attention_at` is the instant
-- the holder must act by (the step's due instant, else the dossier's, else its receipt).
-- `statutory_due_at` is the due instant fixed at acceptance and moved only by supplement
-- pauses, never by an apology: what timeliness in reports is measured against.

CREATE TABLE workflows (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX workflows_name ON workflows (name, created_at);

ALTER TABLE dossiers ADD COLUMN workflow_id TEXT;
ALTER TABLE dossiers ADD COLUMN current_step TEXT;
ALTER TABLE dossiers ADD COLUMN handling_agency_code TEXT;
ALTER TABLE dossiers ADD COLUMN handling_role TEXT;
ALTER TABLE dossiers ADD COLUMN attention_at BIGINT;
ALTER TABLE dossiers ADD COLUMN transfer_origin TEXT;
ALTER TABLE dossiers ADD COLUMN due_at BIGINT;
ALTER TABLE dossiers ADD COLUMN accepted_at BIGINT;
ALTER TABLE dossiers ADD COLUMN statutory_due_at BIGINT;
ALTER TABLE dossiers ADD COLUMN step_due_at BIGINT;
ALTER TABLE dossiers ADD COLUMN resume_status TEXT;
ALTER TABLE dossiers ADD COLUMN paused_at BIGINT;
ALTER TABLE dossiers ADD COLUMN supplement_rounds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN apologized_at BIGINT;
ALTER TABLE dossiers ADD COLUMN result_sha256 TEXT;
ALTER TABLE dossiers ADD COLUMN resolved_at BIGINT;
ALTER TABLE dossiers ADD COLUMN return_channel TEXT;
ALTER TABLE dossiers ADD COLUMN tracking_number TEXT;
ALTER TABLE dossiers ADD COLUMN returned_at BIGINT;
ALTER TABLE dossiers ADD COLUMN rating BIGINT;
ALTER TABLE dossiers ADD COLUMN rating_comment TEXT;
ALTER TABLE dossiers ADD COLUMN rated_at BIGINT;
-- Work queues: open dossiers by holder, most urgent first (closed dossiers have no holder).
CREATE INDEX dossiers_holder_role ON dossiers (handling_agency_code, handling_role, attention_at);
CREATE INDEX dossiers_holder ON dossiers (handling_agency_code, attention_at);
CREATE INDEX dossiers_received ON dossiers (agency_code, received_at);

ALTER TABLE dossier_history ADD COLUMN step TEXT;
ALTER TABLE dossier_history ADD COLUMN agency_code TEXT;

CREATE TABLE supplement_requests (
    dossier_id   TEXT NOT NULL REFERENCES dossiers (id),
    round        BIGINT NOT NULL,
    stage        TEXT NOT NULL,
    items        TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    answered_at  BIGINT,
    PRIMARY KEY (dossier_id, round)
);

CREATE TABLE dossier_legs (
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
    seq         BIGINT NOT NULL,
    agency_code TEXT NOT NULL,
    step        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    due_at      BIGINT,
    ended_at    BIGINT,
    PRIMARY KEY (dossier_id, seq)
);

CREATE TABLE dossier_documents (
    id         TEXT PRIMARY KEY,
    dossier_id TEXT NOT NULL REFERENCES dossiers (id),
    kind       TEXT NOT NULL,
    sha256     TEXT NOT NULL REFERENCES blobs (sha256),
    file_name  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX dossier_documents_dossier ON dossier_documents (dossier_id, created_at);

-- Reports: when a dossier was closed without a result (refused, rejected, withdrawn), and the
-- aggregates behind Biểu 06 and the indicators. `report_counts` holds, per agency, procedure
-- and bucket (grain 0 = a Vietnam calendar day as days since 1970-01-01, 1 = a month as
-- year * 12 + month - 1, 2 = a year), the sum of every dossier's contributions (see
-- lienthong_domain::report). Each transition adds its change in the same transaction.

ALTER TABLE dossiers ADD COLUMN closed_at BIGINT;
UPDATE dossiers SET closed_at = (
    SELECT MAX(h.at) FROM dossier_history h
    WHERE h.dossier_id = dossiers.id AND h.action IN ('refuse', 'reject', 'withdraw')
) WHERE status IN ('refused', 'stopped', 'withdrawn');

CREATE TABLE report_counts (
    grain          BIGINT NOT NULL,
    bucket         BIGINT NOT NULL,
    agency_code    TEXT NOT NULL,
    procedure_code TEXT NOT NULL,
    received_online        BIGINT NOT NULL DEFAULT 0,
    received_direct_postal BIGINT NOT NULL DEFAULT 0,
    resolved_early         BIGINT NOT NULL DEFAULT 0,
    resolved_on_time       BIGINT NOT NULL DEFAULT 0,
    resolved_late          BIGINT NOT NULL DEFAULT 0,
    withdrawn              BIGINT NOT NULL DEFAULT 0,
    due_on_day             BIGINT NOT NULL DEFAULT 0,
    finished_by_due        BIGINT NOT NULL DEFAULT 0,
    finished_late          BIGINT NOT NULL DEFAULT 0,
    processing_seconds     BIGINT NOT NULL DEFAULT 0,
    supplement_rounds      BIGINT NOT NULL DEFAULT 0,
    late_apologized        BIGINT NOT NULL DEFAULT 0,
    rated                  BIGINT NOT NULL DEFAULT 0,
    rated_satisfied        BIGINT NOT NULL DEFAULT 0,
    results_electronic     BIGINT NOT NULL DEFAULT 0,
    results_signed         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, bucket, agency_code, procedure_code)
);

-- The dossiers behind a number: an agency's dossiers by procedure and acceptance.
CREATE INDEX dossiers_accepted ON dossiers (agency_code, procedure_code, accepted_at);

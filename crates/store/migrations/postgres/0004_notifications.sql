-- Notifications sent for domain events, one row per event and channel (no duplicates), with
-- the delivery outcome.

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    event_id     BIGINT NOT NULL,
    channel      TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    dossier_code TEXT,
    status       TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    UNIQUE (event_id, channel)
);
CREATE INDEX notifications_pending ON notifications (status, created_at);

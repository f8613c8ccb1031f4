-- Province decisions about single days: extra days off and make-up working days.

CREATE TABLE calendar_overrides (
    day     TEXT PRIMARY KEY,
    day_off BIGINT NOT NULL,
    name    TEXT NOT NULL
);

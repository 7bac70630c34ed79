-- Restores of archived objects (issue 8): one row per request Trove made (or found under way),
-- written as `pending` before the request is sent, so a crash between the two loses nothing —
-- the `restore_request` job sends it again, and S3's 409/200 answers make that harmless.
CREATE TABLE restores (
    id            INTEGER PRIMARY KEY,
    location_id   INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    -- The asset when the request was made (a merge may re-point the location later).
    asset_id      INTEGER,
    -- The archive class planned with (`deep_archive`, `glacier`, `vault`, ...).
    class         TEXT    NOT NULL,
    tier          TEXT    NOT NULL CHECK (tier IN ('expedited', 'standard', 'bulk')),
    -- Days of the temporary copy; NULL for classes that take none (Intelligent-Tiering).
    days          INTEGER,
    requested_at  INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'in_progress', 'ready', 'expired', 'failed')),
    -- The end of the temporary copy (Unix seconds), from S3's HEAD when known.
    expiry        INTEGER,
    last_checked  INTEGER,
    next_check    INTEGER,
    checks        INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    -- When the batch's "ready" notification went out.
    notified_at   INTEGER,
    -- The `restore start` that asked for it: one notification per batch.
    batch_id      INTEGER NOT NULL,
    -- The Glacier job of a vault archive's retrieval (its output is read from it).
    remote_job    TEXT,
    -- The job sending or polling it now.
    job_id        INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    updated_at    INTEGER NOT NULL
);
-- One tracked restore per object at a time: starting twice tracks one.
CREATE UNIQUE INDEX restores_one_active ON restores (location_id)
    WHERE state IN ('pending', 'in_progress');
CREATE INDEX restores_by_state ON restores (state, next_check);
CREATE INDEX restores_by_batch ON restores (batch_id);

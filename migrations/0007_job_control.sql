-- Job control: library-wide settings (the queue's pause switch, preview cache cap, ...) and
-- what a running job last reported beyond its fraction done (fps, ETA).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE jobs ADD COLUMN progress_detail TEXT;  -- JSON {"fps":…, "eta_secs":…}

-- A paused job is still pending: planning must not queue a second one beside it.
DROP INDEX jobs_one_pending_per_location;
CREATE UNIQUE INDEX jobs_one_pending_per_location ON jobs (kind, location_id)
    WHERE state IN ('queued', 'running', 'paused') AND location_id IS NOT NULL;

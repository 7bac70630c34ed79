-- Metadata as claims, and the job queue's leases.
--
-- A claim is one value of one schema field as one source stated it: {field, value, source, source
-- key, which location, when, the fingerprint of what was read}. The effective value of a field is
-- resolved from the claims by the precedence rules of trove-core (docs/metadata-schema.md). A
-- rescan replaces only the claims of a location whose fingerprint changed; user claims (location
-- NULL, source 'user') are never touched by a scan.

CREATE TABLE claims (
    id           INTEGER PRIMARY KEY,
    asset_id     INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    location_id  INTEGER REFERENCES locations (id) ON DELETE CASCADE,
    field        TEXT    NOT NULL,
    value        TEXT    NOT NULL,              -- JSON
    source       TEXT    NOT NULL,
    source_key   TEXT,
    observed_at  INTEGER NOT NULL,
    fingerprint  TEXT
);
CREATE INDEX claims_asset ON claims (asset_id, field);
CREATE INDEX claims_location ON claims (location_id, source);

-- What was last extracted from a location: "size:mtime_ns" of the file at that time. A location
-- whose file facts differ (or that was never probed) has extraction work pending.
ALTER TABLE locations ADD COLUMN probed TEXT;

-- A job being run is leased to a worker until this time; a worker that died (kill -9, crash)
-- loses its lease and the job runs again.
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
ALTER TABLE jobs ADD COLUMN not_before INTEGER;
CREATE UNIQUE INDEX jobs_one_pending_per_location ON jobs (kind, location_id)
    WHERE state IN ('queued', 'running') AND location_id IS NOT NULL;
CREATE INDEX jobs_asset ON jobs (asset_id);

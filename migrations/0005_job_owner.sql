-- Who holds a running job's lease ("host:pid"), so that a worker that was killed can be noticed
-- at once on the same machine instead of when its lease runs out.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;

-- Content identity: locations with the same bytes belong to one asset.
--
-- When hashing finds media locations of several assets with one full hash, the oldest asset
-- survives and the others are merged into it (their locations, claims, journal rows, jobs and
-- collection memberships re-pointed; user values merged). Each merge is a row here, in the edit
-- batch that `trove undo` reverts; `snapshot` (JSON) holds what the undo needs to bring the
-- merged asset back exactly, under its own id. An undone merge also keeps that asset apart from
-- the content from then on (hashing does not merge it again).
CREATE TABLE asset_merges (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES edit_batches (id),
    survivor_id   INTEGER NOT NULL,
    merged_id     INTEGER NOT NULL,
    content_hash  TEXT    NOT NULL,
    snapshot      TEXT    NOT NULL,
    merged_at     INTEGER NOT NULL,
    undone_at     INTEGER
);
CREATE INDEX asset_merges_batch ON asset_merges (batch_id);
CREATE INDEX asset_merges_merged ON asset_merges (merged_id);

-- User values that disagreed in a merge: the survivor kept `kept`; `other` was the merged
-- asset's. Listed for the editor (show, dupes) while the merge stands and the field was not
-- edited since.
CREATE TABLE merge_conflicts (
    id               INTEGER PRIMARY KEY,
    merge_id         INTEGER NOT NULL REFERENCES asset_merges (id) ON DELETE CASCADE,
    asset_id         INTEGER NOT NULL,
    field            TEXT    NOT NULL,
    kept             TEXT    NOT NULL,  -- JSON
    other            TEXT    NOT NULL,  -- JSON
    other_asset      INTEGER NOT NULL,
    other_locations  TEXT    NOT NULL   -- JSON array of location ids
);
CREATE INDEX merge_conflicts_asset ON merge_conflicts (asset_id);

-- A merge re-points the merged asset's journal rows.
CREATE INDEX IF NOT EXISTS edits_asset ON edits (asset_id);

-- A copy whose bytes changed (size, mtime, inode or ETag) no longer has a known content.
CREATE TRIGGER locations_bytes_changed
AFTER UPDATE OF size, mtime_ns, inode, etag ON locations
WHEN NEW.content_hash IS NOT NULL
 AND (OLD.size IS NOT NEW.size OR OLD.mtime_ns IS NOT NEW.mtime_ns
      OR OLD.inode IS NOT NEW.inode OR OLD.etag IS NOT NEW.etag)
BEGIN
    UPDATE locations SET content_hash = NULL WHERE id = NEW.id;
END;

-- A media copy whose content is no longer the one it was attached by leaves its asset: it gets
-- an asset of its own (the same title, a copy of the user values, its own claims), so an asset
-- never claims identity for bytes that differ. Ids above any merged-away one (see
-- asset_merges), so an undone merge gets its id back.
CREATE TRIGGER locations_copy_diverged
AFTER UPDATE OF content_hash ON locations
WHEN OLD.content_hash IS NOT NULL AND NEW.content_hash IS NOT OLD.content_hash
 AND NEW.role = 'media' AND NEW.asset_id IS NOT NULL
 AND EXISTS (SELECT 1 FROM locations o
             WHERE o.asset_id = NEW.asset_id AND o.id <> NEW.id AND o.role = 'media')
BEGIN
    INSERT INTO assets (id, title, media_type, created_at, updated_at)
        SELECT max((SELECT coalesce(max(id), 0) FROM assets),
                   (SELECT coalesce(max(merged_id), 0) FROM asset_merges)) + 1,
               a.title, a.media_type, CAST(strftime('%s', 'now') AS INTEGER),
               CAST(strftime('%s', 'now') AS INTEGER)
        FROM assets a WHERE a.id = NEW.asset_id;
    INSERT INTO changes (entity, entity_id, op)
        SELECT 'asset', max(id), 'insert' FROM assets;
    INSERT INTO claims (asset_id, location_id, field, value, source, source_key, observed_at,
                        fingerprint)
        SELECT (SELECT max(id) FROM assets), NULL, field, value, source, source_key,
               observed_at, fingerprint
        FROM claims WHERE asset_id = NEW.asset_id AND location_id IS NULL;
    UPDATE claims SET asset_id = (SELECT max(id) FROM assets) WHERE location_id = NEW.id;
    UPDATE assets SET updated_at = CAST(strftime('%s', 'now') AS INTEGER)
        WHERE id = NEW.asset_id;
    UPDATE locations SET asset_id = (SELECT max(id) FROM assets) WHERE id = NEW.id;
END;

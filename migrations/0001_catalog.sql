-- The catalog: sources, locations, assets, jobs and the change sequence.
--
-- Paths are BLOBs of raw bytes (relative to the source root, '/'-separated) so that any file name
-- round-trips exactly. Times are integers: seconds (or nanoseconds where the column says _ns)
-- since the Unix epoch.

CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('local', 's3', 'glacier')),
    uri           TEXT    NOT NULL UNIQUE,
    root          BLOB,                                   -- absolute root path, local sources
    config        TEXT    NOT NULL DEFAULT '{}',          -- JSON: follow_links, profile, region…
    online        INTEGER NOT NULL DEFAULT 1 CHECK (online IN (0, 1)),
    added_at      INTEGER NOT NULL,
    last_scan_at  INTEGER,
    CHECK (kind <> 'local' OR root IS NOT NULL)
);

CREATE TABLE assets (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    media_type  TEXT    NOT NULL
        CHECK (media_type IN ('video', 'audio', 'image', 'document', 'other')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- One copy of bytes. A media location always belongs to an asset; a sidecar location belongs to
-- the asset of the media file it describes, or to none while that file is unknown.
CREATE TABLE locations (
    id             INTEGER PRIMARY KEY,
    source_id      INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    asset_id       INTEGER REFERENCES assets (id) ON DELETE SET NULL,
    rel_path       BLOB    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'media' CHECK (role IN ('media', 'sidecar')),
    size           INTEGER NOT NULL,
    mtime_ns       INTEGER,
    device         INTEGER,
    inode          INTEGER,
    mime           TEXT,
    media_type     TEXT    NOT NULL,
    storage_class  TEXT,
    etag           TEXT,
    state          TEXT    NOT NULL DEFAULT 'present' CHECK (state IN ('present', 'missing')),
    first_seen_at  INTEGER NOT NULL,
    changed_at     INTEGER NOT NULL,
    UNIQUE (source_id, rel_path)
);
CREATE INDEX locations_asset ON locations (asset_id);
CREATE INDEX locations_inode ON locations (device, inode);
CREATE INDEX locations_unlinked_sidecars ON locations (source_id)
    WHERE role = 'sidecar' AND asset_id IS NULL;

-- Persisted long work (probe, hash, previews, restores). Filled by later workflows.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')),
    priority     INTEGER NOT NULL DEFAULT 0,
    asset_id     INTEGER REFERENCES assets (id) ON DELETE CASCADE,
    location_id  INTEGER REFERENCES locations (id) ON DELETE CASCADE,
    payload      TEXT    NOT NULL DEFAULT '{}',
    attempts     INTEGER NOT NULL DEFAULT 0,
    progress     REAL    NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_queue ON jobs (state, priority DESC, id);

-- The change sequence: every insert, update or delete of an asset or a location appends a row.
-- Updates and deletes are logged by triggers. Inserts come in bulk from scans, where a trigger per
-- row doubled the cost of a scan; the catalog's batch writer logs them with one statement per
-- batch instead, and `trove check` verifies that every asset and location has its entry. Followers (the search index, the UI)
-- remember the last seq they applied and read on from there. A 'source' change (it went offline
-- or came back) concerns every location of that source.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT    NOT NULL CHECK (entity IN ('source', 'asset', 'location')),
    entity_id  INTEGER NOT NULL,
    op         TEXT    NOT NULL CHECK (op IN ('insert', 'update', 'delete'))
);

CREATE TRIGGER assets_update AFTER UPDATE ON assets BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('asset', NEW.id, 'update');
END;
CREATE TRIGGER assets_delete AFTER DELETE ON assets BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('asset', OLD.id, 'delete');
END;
CREATE TRIGGER locations_update AFTER UPDATE ON locations BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('location', NEW.id, 'update');
END;
CREATE TRIGGER locations_delete AFTER DELETE ON locations BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('location', OLD.id, 'delete');
END;
CREATE TRIGGER sources_insert AFTER INSERT ON sources BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('source', NEW.id, 'insert');
END;
CREATE TRIGGER sources_update AFTER UPDATE OF online, uri, root, config ON sources BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('source', NEW.id, 'update');
END;
CREATE TRIGGER sources_delete AFTER DELETE ON sources BEGIN
    INSERT INTO changes (entity, entity_id, op) VALUES ('source', OLD.id, 'delete');
END;

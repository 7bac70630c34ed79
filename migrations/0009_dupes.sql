-- Content identity and safe removal of duplicates.

-- Hashes of file versions, keyed by what identifies a version without reading it; `scheme`
-- names how the sampled hash was taken, so a change of scheme ignores old ones.
CREATE TABLE file_hashes (
    device    INTEGER NOT NULL,
    inode     INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    scheme    INTEGER NOT NULL,
    partial   BLOB,
    full      BLOB,
    PRIMARY KEY (device, inode, size, mtime_ns)
) WITHOUT ROWID;

-- The full BLAKE3 of a location's bytes when known (hex).
ALTER TABLE locations ADD COLUMN content_hash TEXT;

-- Copies removed by `dupes remove --apply`, in the edit batch that `trove undo` reverts: where
-- the file was, where it is kept now (the library's quarantine), and its hash for the way back.
CREATE TABLE removals (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES edit_batches (id),
    location_id   INTEGER NOT NULL REFERENCES locations (id),
    original_path BLOB    NOT NULL,
    kept_path     BLOB    NOT NULL,
    content_hash  TEXT    NOT NULL,
    removed_at    INTEGER NOT NULL,
    restored_at   INTEGER
);
CREATE INDEX removals_batch ON removals (batch_id);

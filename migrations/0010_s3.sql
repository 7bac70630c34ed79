-- S3 sources (issue 6): what a listing and a HEAD tell about an object beyond the columns every
-- location has (`size`, `mtime_ns` = LastModified, `etag`, `storage_class`).

-- The version id of the current version, when the bucket is versioned (or the inventory says).
ALTER TABLE locations ADD COLUMN version_id TEXT;
-- Whether the bytes can be read now: NULL (readable), 'archived' (GLACIER, DEEP_ARCHIVE or an
-- Intelligent-Tiering archive tier without a restore), 'restoring' (a restore is under way) or
-- 'ready' (a restored copy is readable). From the listing first, then from each HEAD.
ALTER TABLE locations ADD COLUMN archive_state TEXT
    CHECK (archive_state IS NULL OR archive_state IN ('archived', 'restoring', 'ready'));
-- The Intelligent-Tiering access tier HEAD reported (`ARCHIVE_ACCESS`, `DEEP_ARCHIVE_ACCESS`).
ALTER TABLE locations ADD COLUMN archive_status TEXT;
-- Additional checksums HEAD returned, JSON {"SHA256": "base64…", …}.
ALTER TABLE locations ADD COLUMN checksums TEXT;
-- What the last HEAD (and tagging) job read: "size:mtime_ns" of the object then, like `probed`.
-- A location whose facts differ has an `s3_head` job pending.
ALTER TABLE locations ADD COLUMN s3_headed TEXT;

-- Removal of duplicate S3 copies (issue 7): the removals journal says which kind of removal each
-- row was, so `trove undo` knows how to put it back.
--
-- `file`: a local copy moved into the library's quarantine (`original_path` → `kept_path`).
-- `s3_delete_marker`: an object of a versioned bucket deleted, which left a delete marker;
--     undo deletes the marker (`s3_delete_marker`), so the version `s3_version_id` is current
--     again. `original_path` and `kept_path` hold the key.
-- `s3_quarantine`: an object of an unversioned bucket copied to `.trove-quarantine/<key>` in
--     the same bucket (`kept_path`), then deleted; undo copies it back and deletes the copy.
-- `content_hash` is the group's hash (BLAKE3 hex, or `md5:…`/`sha256:…` for S3-only groups).
ALTER TABLE removals ADD COLUMN kind TEXT NOT NULL DEFAULT 'file'
    CHECK (kind IN ('file', 's3_delete_marker', 's3_quarantine'));
-- The bucket of an S3 removal.
ALTER TABLE removals ADD COLUMN s3_bucket TEXT;
-- The version of the object that was current when it was removed, when S3 said.
ALTER TABLE removals ADD COLUMN s3_version_id TEXT;
-- The version id of the delete marker the removal left (versioned buckets).
ALTER TABLE removals ADD COLUMN s3_delete_marker TEXT;
-- The object's ETag and storage class when it was removed (checked again on the way back).
ALTER TABLE removals ADD COLUMN s3_etag TEXT;
ALTER TABLE removals ADD COLUMN s3_storage_class TEXT;

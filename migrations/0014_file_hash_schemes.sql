-- The hash cache keeps several digests of one file version (issue 7's S3 part): the sampled and
-- full BLAKE3 (scheme 1), and the MD5, SHA-256 and BLAKE3 read to compare a file with S3
-- objects of its size (schemes 2, 3 and 4; see trove-hash's `MD5_SCHEME`). The scheme therefore
-- joins the primary key; readers pick the schemes they know.
CREATE TABLE file_hashes_by_scheme (
    device    INTEGER NOT NULL,
    inode     INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    scheme    INTEGER NOT NULL,
    partial   BLOB,
    full      BLOB,
    PRIMARY KEY (device, inode, size, mtime_ns, scheme)
) WITHOUT ROWID;
INSERT INTO file_hashes_by_scheme (device, inode, size, mtime_ns, scheme, partial, full)
    SELECT device, inode, size, mtime_ns, scheme, partial, full FROM file_hashes;
DROP TABLE file_hashes;
ALTER TABLE file_hashes_by_scheme RENAME TO file_hashes;

-- Near-duplicate fingerprints of file versions, keyed as `file_hashes` is (a version of a file is
-- its device, inode, size and modification time), so that `dupes --near` decodes each picture and
-- runs ffmpeg on each clip once. A file that could not be printed keeps the reason in `error`
-- (and no print) and is not tried again until it changes. A print whose encoding is of another
-- version is made again.
CREATE TABLE near_prints (
    device    INTEGER NOT NULL,
    inode     INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    print     BLOB,
    error     TEXT,
    PRIMARY KEY (device, inode, size, mtime_ns)
) WITHOUT ROWID;

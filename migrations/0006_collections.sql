-- Collections: manual ones list assets; smart ones (saved searches) store a query and are
-- evaluated against the search index each time. Deleting one only marks it, so that `trove undo`
-- can bring it back with its members.

CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    query      TEXT,                 -- NULL: a manual collection
    sort       TEXT,                 -- smart ones: the saved order ("captured:desc", ...)
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
-- Names are unique among live collections, ignoring case.
CREATE UNIQUE INDEX collections_name ON collections (name COLLATE NOCASE) WHERE deleted_at IS NULL;

CREATE TABLE collection_assets (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    asset_id      INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (collection_id, asset_id)
) WITHOUT ROWID;
CREATE INDEX collection_assets_asset ON collection_assets (asset_id);

-- Edit batches that changed a collection: which one, and what happened to it as a whole
-- ('create' or 'delete'; NULL when only members changed). Member changes are edits rows whose
-- field is '@collection' (old_value/new_value: 'true' member, NULL not).
ALTER TABLE edit_batches ADD COLUMN collection_id INTEGER REFERENCES collections (id);
ALTER TABLE edit_batches ADD COLUMN collection_op TEXT;

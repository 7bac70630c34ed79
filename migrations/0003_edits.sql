-- Edits by people: every `meta set` is a batch of edits, each keeping the value it replaced, so
-- that `trove undo` can put it back. The edited values themselves are claims with source 'user'.

CREATE TABLE edit_batches (
    id         INTEGER PRIMARY KEY,
    author     TEXT    NOT NULL,
    command    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    undone_at  INTEGER
);

CREATE TABLE edits (
    id         INTEGER PRIMARY KEY,
    batch_id   INTEGER NOT NULL REFERENCES edit_batches (id) ON DELETE CASCADE,
    asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    field      TEXT    NOT NULL,
    old_value  TEXT,                 -- JSON of the user claim replaced; NULL: there was none
    new_value  TEXT                  -- JSON of the new user claim; NULL: the claim was removed
);
CREATE INDEX edits_batch ON edits (batch_id);

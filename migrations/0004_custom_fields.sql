-- Fields that editors add at run time: typed (text, number, date, choice), no migration needed.
-- `definition` is the JSON form of trove-core's CustomFieldDef.
CREATE TABLE custom_fields (
    key         TEXT    PRIMARY KEY,
    definition  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

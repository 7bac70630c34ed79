-- Previews (thumbnails, filmstrip, proxy, waveform) live in the library's content-addressed
-- preview cache; a location records which entry holds its previews and which state of the file
-- ("size:mtime_ns") they were made from, so a changed file gets new ones.
ALTER TABLE locations ADD COLUMN preview_key TEXT;
ALTER TABLE locations ADD COLUMN previewed TEXT;

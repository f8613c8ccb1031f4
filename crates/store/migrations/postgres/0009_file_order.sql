-- A dossier's files are listed by slot and position. Slots compare byte by byte, as on SQLite,
-- whatever the database's locale, so that both engines list them in the same order.
ALTER TABLE dossier_files ALTER COLUMN slot TYPE TEXT COLLATE "C";

ALTER TABLE documents DROP COLUMN status;

ALTER TABLE organisations RENAME COLUMN display_name TO name;

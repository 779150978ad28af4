-- The running release reads "name": renaming it breaks old code.
ALTER TABLE organisations RENAME COLUMN name TO display_name;

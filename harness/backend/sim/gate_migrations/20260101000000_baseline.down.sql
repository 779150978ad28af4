DROP TABLE app_settings;
DROP TABLE documents;
DROP TABLE organisations;

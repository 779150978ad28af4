-- The application's tables as the sim seeds them (prod and staging both start here).
CREATE TABLE organisations (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE documents (id bigint PRIMARY KEY, org_id integer NOT NULL REFERENCES organisations,
                        title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE app_settings (key text PRIMARY KEY, value text NOT NULL);

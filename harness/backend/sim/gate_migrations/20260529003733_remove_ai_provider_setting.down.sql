INSERT INTO app_settings (key, value) VALUES ('ai_provider', 'legacy') ON CONFLICT (key) DO NOTHING;

-- Nothing reads this setting any more.
DELETE FROM app_settings WHERE key = 'ai_provider';

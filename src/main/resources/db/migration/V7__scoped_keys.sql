-- What a personal API key may do (issue 16): NULL everywhere is an unscoped key, as every key before this.
-- models holds the alias or provider/model names the key may use, separated by spaces (names have none).
ALTER TABLE api_keys ADD COLUMN models VARCHAR(8000);
ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN tokens_per_minute INTEGER;
ALTER TABLE api_keys ADD COLUMN budget_usd NUMERIC(14, 6);
-- daily | monthly, set exactly when budget_usd is.
ALTER TABLE api_keys ADD COLUMN budget_period VARCHAR(10);
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE api_keys ADD COLUMN label VARCHAR(500);

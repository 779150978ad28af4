@migrations
Feature: Applying and undoing a migration keeps the schema and _migrations honest
  A forward file is applied in one transaction together with its row in _migrations, and
  its down removes both. A statement that fails takes the whole file back with it, so the
  database is never left half-migrated. The round trip (up, down, up again) proves that
  the down really restores the schema.

  Background:
    Given a scratch database holding:
      """
      CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, created_at timestamptz);
      INSERT INTO users VALUES (1, 'ops@example.com', now());
      """

  Scenario: Applying a migration records it, and its down removes the record
    Given a migration whose forward file is:
      """
      ALTER TABLE users ADD COLUMN nickname text;
      """
    And whose down file is:
      """
      ALTER TABLE users DROP COLUMN nickname;
      """
    When the migration is applied
    Then _migrations lists the migration
    When its down is run
    Then _migrations does not list the migration
    And the schema is as it was before the migration

  Scenario: A statement that fails leaves nothing half-applied and nothing lost
    Given a migration whose forward file is:
      """
      ALTER TABLE users ADD COLUMN nickname text;
      CREATE TABLE audit (id int);
      ALTER TABLE users ALTER COLUMN email TYPE integer;
      """
    And whose down file is:
      """
      DROP TABLE audit;
      ALTER TABLE users DROP COLUMN nickname;
      """
    When the migration is applied
    Then it fails naming line 3 of the forward file
    And the schema is as it was before the migration
    And _migrations does not list the migration
    And table "users" still holds 1 row

  Scenario: The round trip restores the schema and applies the same way twice
    Given a migration whose forward file is:
      """
      CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
      ALTER TABLE users ADD COLUMN nickname text;
      """
    And whose down file is:
      """
      ALTER TABLE users DROP COLUMN nickname;
      DROP TABLE audit;
      """
    When the migration is round-tripped
    Then the round trip passes
    And the schema after the down is "identical" to the schema before the migration
    And applying it again gives the same schema as the first time

  Scenario: A down that re-adds a dropped column restores an equivalent schema, not an identical one
    Given a migration whose forward file is:
      """
      ALTER TABLE users DROP COLUMN email;
      """
    And whose down file is:
      """
      ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';
      ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
      """
    When the migration is round-tripped
    Then the round trip passes
    And the schema after the down is "equivalent" to the schema before the migration
    And the round trip notes that the column order differs in "public.users"

  Scenario: A down that forgets part of the forward fails the round trip
    Given a migration whose forward file is:
      """
      CREATE TABLE audit (id bigint PRIMARY KEY);
      ALTER TABLE users ADD COLUMN nickname text;
      """
    And whose down file is:
      """
      DROP TABLE audit;
      """
    When the migration is round-tripped
    Then the round trip fails with "does not restore the schema"
    And the schema after the down is "different" to the schema before the migration

  Scenario: A concurrent unique index that fails on duplicates leaves no invalid index behind
    Given a migration whose forward file is:
      """
      SET lock_timeout = '5s';
      CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
      """
    And whose down file is:
      """
      DROP INDEX CONCURRENTLY users_email_key;
      """
    And the users table holds a duplicated email
    When the migration is applied
    Then it fails naming line 2 of the forward file
    And the failure names the duplicated key "(email)=(ops@example.com)"
    And no INVALID index is left in pg_index
    And _migrations does not list the migration

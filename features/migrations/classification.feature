@migrations
Feature: Each migration is classified for backward compatibility
  The previous application version keeps running while a migration is applied, and again
  after a Layer-1 revert, so every migration is classified: backward-compatible; breaking
  (code written for the old schema stops working, or data is removed); or risky (the
  outcome depends on the data, or it holds heavy locks). Each verdict names the rule and
  the line that caused it.

  Scenario Outline: A statement old code would trip over is classified with its rule
    Given a forward migration holding "<statement>"
    When it is classified
    Then it is "<classification>" because of rule "<rule>" at line 1

    Examples:
      | statement                                          | classification | rule                          |
      | ALTER TABLE users DROP COLUMN legacy_flag;         | breaking       | drop-column                   |
      | DROP TABLE IF EXISTS sessions;                     | breaking       | drop-table                    |
      | ALTER TABLE users RENAME COLUMN email TO mail;     | breaking       | rename-column                 |
      | ALTER TABLE users ALTER COLUMN id TYPE bigint;     | breaking       | change-column-type            |
      | ALTER TABLE users ALTER COLUMN email SET NOT NULL; | risky          | set-not-null                  |
      | ALTER TABLE users ADD COLUMN tenant int NOT NULL;  | breaking       | add-required-column           |
      | DELETE FROM app_settings;                          | breaking       | delete-without-where          |
      | CREATE INDEX users_email_idx ON users (email);     | risky          | create-index-not-concurrently |
      | UPDATE users SET active = true;                    | risky          | update-without-where          |
      | ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid(); | risky | add-column-volatile-default |
      | ALTER TABLE users ADD COLUMN at timestamptz DEFAULT clock_timestamp(); | risky | add-column-volatile-default |

  Scenario Outline: A statement old code does not notice is backward-compatible
    Given a forward migration holding "<statement>"
    When it is classified
    Then it is "backward-compatible" with no rule fired

    Examples:
      | statement                                                      |
      | ALTER TABLE users ADD COLUMN nickname text;                    |
      | ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true; |
      | CREATE INDEX CONCURRENTLY users_email_idx ON users (email);    |
      | DELETE FROM app_settings WHERE key = 'ai_provider';            |
      | ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now(); |

  Scenario: A change hidden in a DO block is caught by the round trip's catalog diff
    Given a scratch database holding:
      """
      CREATE TABLE users (id int PRIMARY KEY, created_at timestamptz);
      """
    And a migration whose forward file is:
      """
      -- A parser cannot see into the block below.
      DO $$ BEGIN
        EXECUTE 'ALTER TABLE users ALTER COLUMN created_at TYPE timestamp';
      END $$;
      """
    And whose down file is:
      """
      ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz;
      """
    When it is classified
    Then it is "risky" because of rule "do-block" at line 2
    When the migration is round-tripped
    Then it is "breaking" because of rule "change-column-type" found by the catalog diff

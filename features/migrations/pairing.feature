@migrations
Feature: Every forward migration comes with its down migration
  Rolling data back starts with the down migration, so each forward file needs a down file
  that undoes it, or a down file that says plainly that it cannot. The check reads the
  whole directory at once and names the file (and line) of every problem with its fix.

  Scenario: A directory where every forward file has its down file passes
    Given the sample migration directory "app"
    When the migrations are linted
    Then the lint passes with 4 migrations

  Scenario: A forward file without its down file is reported
    Given a migration directory
    And the file "20260601000000_add_plan.sql" holding:
      """
      ALTER TABLE accounts ADD COLUMN plan text;
      """
    When the migrations are linted
    Then the lint fails naming "20260601000000_add_plan.sql" with "has no down file"

  Scenario: A down file without its forward file is reported
    Given a migration directory
    And the file "20260601000000_add_plan.down.sql" holding:
      """
      ALTER TABLE accounts DROP COLUMN plan;
      """
    When the migrations are linted
    Then the lint fails naming "20260601000000_add_plan.down.sql" with "has no forward file"

  Scenario: A down file holding nothing but comments is reported
    Given a migration directory
    And the file "20260601000000_add_plan.sql" holding:
      """
      ALTER TABLE accounts ADD COLUMN plan text;
      """
    And the file "20260601000000_add_plan.down.sql" holding:
      """
      -- TODO: write the down
      """
    When the migrations are linted
    Then the lint fails naming "20260601000000_add_plan.down.sql" with "holds no SQL statement"

  Scenario: A down file that declares the migration irreversible, with a reason, is accepted
    Given a migration directory
    And the file "20260601000000_drop_legacy.sql" holding:
      """
      DROP TABLE legacy_events;
      """
    And the file "20260601000000_drop_legacy.down.sql" holding:
      """
      -- harness:irreversible: the legacy events were archived to S3 before this ran
      """
    When the migrations are linted
    Then the lint passes with 1 migration
    And migration "20260601000000" is irreversible because "the legacy events were archived to S3 before this ran"

  Scenario: Two forward files sharing a timestamp are reported
    Given the sample migration directory "app"
    And the file "20260415000000_other_change.sql" holding:
      """
      ALTER TABLE users ADD COLUMN locale text;
      """
    And the file "20260415000000_other_change.down.sql" holding:
      """
      ALTER TABLE users DROP COLUMN locale;
      """
    When the migrations are linted
    Then the lint fails naming "20260415000000_other_change.sql" with "used by more than one forward file"

  Scenario: A file PostgreSQL cannot parse is reported with its line and column
    Given a migration directory
    And the file "20260601000000_seed.sql" holding:
      """
      CREATE TABLE plans (name text);
      INSERT INTO plans VALUES ('it''s fine'), ('not closed);
      """
    And the file "20260601000000_seed.down.sql" holding:
      """
      DROP TABLE plans;
      """
    When the migrations are linted
    Then the lint fails naming "20260601000000_seed.sql:2:43" with "unterminated quoted string"

@drill @step3
Feature: Drill step 3 - a reversible migration and its down leave the schema as it was
  A data rollback tries the down migration before any snapshot restore, so the drill proves
  on the drill tier's own database that a down really undoes its forward migration: a
  harmless test migration is applied, its down is run, and the schema (pg_dump
  --schema-only, normalised) is compared with the schema from before. The test migration
  only adds objects of its own, named after the drill, and they are removed afterwards
  whatever happens.

  Scenario: A reversible test migration is applied and undone, and the schema matches
    Given the drill's target tier
    And the tier's database
    And the drill's reversible test migration
    When the test migration is applied to the tier's database and its down is run
    Then the test migration changed the schema
    And _migrations listed the test migration after the up and not after the down
    And the schema after the down matches the schema before the migration

  Scenario: A down that leaves part of its migration behind is caught by the parity check
    Given the drill's target tier
    And the tier's database
    And the drill's test migration with a deliberately wrong down
    When the test migration is applied to the tier's database and its down is run
    Then the parity check reports the table the down left behind

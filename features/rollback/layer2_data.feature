@rollback @data
Feature: Layer-2 data rollback - the down migration first, the snapshot restore as the last resort
  Data is rolled back only when a migration damaged it, and only once the application runs
  a revision that works with the schema as it is (Layer 1 comes first). The migration's
  paired down is the surgical fix and is tried first; its _migrations row is cleared so it
  can be applied again later. Restoring the pre-promotion snapshot to a NEW instance and
  pointing the application at it is the fallback when the down fails or the data is
  already corrupt.

  Background:
    Given the tier's data fingerprinted and a pre-promotion snapshot taken
    And a migration applied to the tier's database after the snapshot
    And the application reverted to the revision it ran before

  Scenario: A migration that damaged no data is undone by its down migration
    When the data rollback runs
    Then the down migration was applied and its _migrations row cleared
    And no snapshot was restored

  Scenario: A down migration that fails falls back to restoring the snapshot
    Given the migration's down migration fails
    When the data rollback runs
    Then the down migration was tried first and failed
    And the snapshot was restored to a new instance holding the data as it was before the migration
    And the application is healthy on the restored instance

  Scenario: Data that is already corrupt goes straight to restoring the snapshot
    Given the migration corrupted data
    When the data rollback runs for data that is already corrupt
    Then the down migration was not tried
    And the snapshot was restored to a new instance holding the data as it was before the migration
    And the application is healthy on the restored instance

@drill @step4 @data
Feature: Drill step 4 - a snapshot restored to a new instance, data path validated
  A data rollback restores a snapshot into a NEW database instance and points the
  application at it. The drill proves that path end to end on the drill tier: the copy
  holds exactly what the source held when the snapshot was taken, and the application is
  healthy on it. The data RTO runs from the restore call until the application is healthy
  on the restored database, and is compared with its target.

  Scenario: A snapshot of the drill tier restores to a new instance that serves the application in time
    Given the drill tier's data fingerprinted, with a canary row written
    And a snapshot of the drill tier's database that became available
    And a row written to the source after the snapshot
    When the snapshot is restored to a new instance and the application is pointed at it
    Then the restored data matches the fingerprint, holds the canary and lacks the later row
    And the application is healthy on the restored database
    And the data RTO is within its target

@drill @step2
Feature: Drill step 2 - Layer-1 revert timed against the application RTO
  With a broken image live on the drill tier, the service is pointed back at the revision
  it ran before. The clock runs from the revert call until deep health is ok several
  times in a row on the reverted image; that time is compared with the application RTO.

  Scenario: The tier is reverted to the revision it ran before the broken deploy, in time
    Given the drill's target tier is healthy on the revision it runs
    And a deliberately broken image is live on the tier
    When the tier is reverted to the revision it ran before the broken deploy
    Then the tier is healthy again on that revision's image
    And the recovery is within the application RTO

@drill
Feature: Drill preflight
  Before anything is broken on purpose, the drill proves it is aimed at the right place:
  a tier that accepts drills, reached with credentials from that tier's own account.

  Scenario: The drill is aimed at a drill-enabled tier with that tier's credentials
    Given the drill's target tier
    Then the tier accepts drills and is not production
    And the caller's account is the tier's account
    And the tier's ECS cluster exists

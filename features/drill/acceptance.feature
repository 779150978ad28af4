@drill @acceptance
Feature: Drill acceptance - both recovery times met
  The dry run is accepted only when this drill measured the application recovery (Layer-1
  revert) and the data recovery (snapshot restore) and both were within their targets.
  It runs after every other drill scenario and reads what they recorded.

  Scenario: The drill measured both recovery times and both met their targets
    Given the recovery times this drill measured
    Then the application RTO was measured and met
    And the data RTO was measured and met

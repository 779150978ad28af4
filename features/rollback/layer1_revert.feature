@rollback
Feature: Layer-1 application rollback
  A bad release is rolled back by pointing the service at an earlier task-definition
  revision: nothing is rebuilt, the image is already in the registry. Without a named
  revision the service goes back to the immediately previous ACTIVE one. A revision that
  does not exist or is no longer ACTIVE is refused by name, and production is only ever
  touched with the explicit flag and production's own credentials.

  Scenario: By default the service goes back to the immediately previous revision
    Given tier "staging" runs its newest revision
    When tier "staging" is rolled back without naming a revision
    Then the service runs the ACTIVE revision just below the one it ran
    And the tier is healthy again on that revision's image
    And the recovery is within the application RTO

  Scenario: The service goes back to a named revision
    Given tier "staging" runs its newest revision
    When tier "staging" is rolled back to its oldest ACTIVE revision, named by number
    Then the service runs its oldest ACTIVE revision
    And the tier is healthy again on that revision's image

  Scenario: A revision that does not exist is refused by name
    Given the revision tier "staging" runs is noted
    When tier "staging" is rolled back to revision 999
    Then the rollback is refused with a message naming "invapp-staging-app:999" and "does not exist"
    And tier "staging" still runs the noted revision

  Scenario: An INACTIVE revision is refused by name
    Given the revision tier "staging" runs is noted
    And a revision of tier "staging" that has been deregistered
    When tier "staging" is rolled back to that deregistered revision
    Then the rollback is refused with a message naming the deregistered revision and "INACTIVE"
    And tier "staging" still runs the noted revision

  Scenario: Production is not rolled back without the explicit flag
    Given the revision tier "prod" runs is noted
    When tier "prod" is rolled back with its own credentials but without the explicit flag
    Then the rollback is refused with a message naming "explicit flag" and "invapp-dev-cluster"
    And tier "prod" still runs the noted revision

  Scenario: Staging's credentials cannot roll back production, even with the flag
    Given the revision tier "prod" runs is noted
    When staging's credentials roll back tier "prod" with the explicit flag
    Then the rollback is refused with a message naming "961381384763" and "760007728097"
    And tier "prod" still runs the noted revision

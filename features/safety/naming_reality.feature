@safety
Feature: Naming reality and the tier guard
  Production still runs on the stack named invapp-dev-* until the rename lands, so the
  harness must know that anything called invapp-dev-* is production, and it must refuse
  anything that would let a drill or a stray credential touch production.

  Scenario: Production is the invapp-dev stack in its own account
    Given the runbook topology
    Then tier "prod" is production in account "760007728097"
    And tier "prod" runs cluster "invapp-dev-cluster", service "invapp-dev-app-service" and task family "invapp-dev-app"
    And tier "prod" keeps its data in "invapp-dev-postgres"
    And tier "staging" runs cluster "invapp-staging-cluster", service "invapp-staging-app-service" and task family "invapp-staging-app" in account "961381384763"
    And the cluster "invapp-dev-cluster" exists only in account "760007728097"

  Scenario: A drill on production is refused
    Given the runbook topology
    When a drill is requested on tier "prod"
    Then it is refused with a message naming "production" and "invapp-dev-cluster"

  Scenario: A write to production with staging credentials is refused
    Given the runbook topology
    When staging's credentials try to write to tier "prod"
    Then it is refused with a message naming "961381384763" and "760007728097"

  Scenario: A write to production needs the explicit flag even with production credentials
    Given the runbook topology
    When production's own credentials try to write to tier "prod" without the explicit flag
    Then it is refused with a message naming "explicit flag" and "invapp-dev-cluster"

  Scenario: Dev never resolves to a production resource
    Given the runbook topology
    Then tier "dev" shares no account, cluster, service, database or host with tier "prod"
    And a topology whose dev tier points at the production database is rejected naming "tiers.dev"

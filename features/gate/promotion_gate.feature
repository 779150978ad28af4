@gate
Feature: The promotion gate for one cycle
  Promotion to production is decided per cycle, on evidence. Every item below must be green
  for the validated SHA before anyone dispatches the promote workflow; each item records what
  it saw and a link or id to look at. Only the pre-promotion snapshot, and only when asked
  with --take-snapshot, writes anything.

  Background:
    Given the cycle under evaluation

  Scenario: Staging answers its deep health check
    When staging's deep health is checked with its basic-auth credentials
    Then staging reports itself healthy

  Scenario: The smoke suite is green on staging for the validated SHA
    When the smoke results for the validated SHA are read from the configured source
    Then the smoke suite passed for exactly that SHA

  Scenario: The cycle's migrations are on staging and their downs work
    Given the migrations this cycle adds on top of prod
    Then each of them is recorded in staging's migration table
    And running their downs and then the migrations again on a scratch copy of staging's schema gives staging's schema back

  Scenario: The migrations pending for prod are queued with their downs ready
    Given the migrations this cycle adds on top of prod
    Then each is classified, with the order it must be applied in relative to the deploy
    And each pending migration has a down ready to run

  Scenario: The Stripe webhook processes a repeated event once, when the cycle touched billing
    Given whether the cycle touched billing
    When a signed test event is delivered twice to staging's webhook
    Then both deliveries are acknowledged and the event is processed exactly once

  Scenario: Prod has an available pre-promotion snapshot for this cycle
    When the pre-promotion snapshot of prod for this cycle is looked up
    Then it is a manual snapshot named for this cycle and it is available

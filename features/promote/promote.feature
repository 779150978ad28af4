@promote
Feature: Promote a validated build to production
  Production changes only by promoting the exact build that passed the staging soak. The
  promotion takes a snapshot of the production database first, reuses the build's image
  when production's registry already has it (tags are immutable: never pushed twice),
  registers a new task-definition revision, swaps the service and checks deep health on
  that build. If the build is not healthy, the same run puts the previous revision back
  and checks that too, and the failed revision is retired so no later rollback picks it.
  Only one promotion or rollback runs on production at a time. These scenarios write to
  production: outside the sim they run only when production writes are explicitly allowed.

  Scenario: A validated build is promoted along the standard path
    Given staging runs a validated build
    When it is promoted to production for cycle "NQU-865" signed off by "Joe"
    Then the promotion passes
    And a snapshot of the production database was taken first and is available
    And production runs a new revision with that build's image, healthy on that build
    And the decision record names cycle "NQU-865", the build, the snapshot, signer "Joe" and "pass"

  Scenario: An image already in production's registry is reused, not pushed again
    Given staging runs a validated build
    And production's registry already holds that build's image
    When it is promoted to production for cycle "NQU-866" signed off by "Joe"
    Then the promotion passes
    And no image was pushed to production's registry

  Scenario: A build that fails its deep health is rolled back in the same run
    Given staging runs a validated build
    And that build fails its deep health on production
    When it is promoted to production for cycle "NQU-867" signed off by "Joe"
    Then the promotion fails at "swap and verify"
    And the same run rolled production back to the previous revision and it is healthy
    And the failed revision is no longer ACTIVE
    And the decision record names cycle "NQU-867", the build, the snapshot, signer "Joe" and "fail"

  Scenario: A second promotion started at the same moment is refused
    Given staging runs a validated build
    When two promotions of that build start at the same moment
    Then exactly one promotion runs and the other is refused naming the one holding the lock
    And production has exactly one new revision

  Scenario: The plan lists every call and changes nothing
    Given staging runs a validated build
    And the contents of both accounts are recorded
    When the promotion is planned
    Then the plan lists "put_parameter, create_db_snapshot, put_image, register_task_definition, update_service, delete_parameter" in that order
    And nothing changed in either account

  Scenario: Production writes are refused when the caller's account is staging's
    Given staging runs a validated build
    And production is reached with staging's credentials
    And the contents of both accounts are recorded
    When a promotion to production is attempted
    Then it is refused with a message naming "961381384763" and "760007728097"
    And nothing changed in either account

  Scenario: A rollback requested while a promotion runs is refused
    Given staging runs a validated build
    And a promotion by "github org/app run 4242" holds production's lock
    When a rollback of production is requested
    Then it is refused naming "github org/app run 4242" and "promote"
    And production still runs the revision it ran before

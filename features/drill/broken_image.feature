@drill @step1
Feature: Drill step 1 - a broken image is caught by the staging smoke gate
  The promotion gate is only worth something if it stops a bad build before production.
  The drill deploys an image that is broken on purpose to the drill tier and expects the
  tier's smoke gate to fail on it. How long the gate took to notice is recorded.

  Scenario: The smoke gate fails on a deliberately broken image
    Given the drill's target tier is healthy on the revision it runs
    When a deliberately broken image is deployed to the tier
    Then the smoke gate fails on the broken image
    And the time to detect is recorded

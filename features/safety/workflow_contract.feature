@safety
Feature: The workflow contract that makes the promotion gate real
  A merge to main reaches staging only. Production changes only when someone dispatches
  the promote or the rollback workflow by hand, both run under the production environment,
  and the two share one concurrency group so they never run at the same time. Every harness
  command a workflow runs is one this harness accepts, so the workflow fails for a real
  reason, never for a misspelt flag.

  Scenario: The example workflows keep every claim
    Given the workflow files in "examples/workflows"
    When the workflow contract is checked
    Then every claim holds

  Scenario Outline: A broken claim is reported with its file and key
    Given the workflow files in "examples/workflows" where <breakage>
    When the workflow contract is checked
    Then exactly one claim is broken: "<claim>" in "<file>" at key "<key>", with its line

    Examples:
      | breakage                                                  | claim                          | file                | key                                     |
      | the promote workflow also runs on every push to main      | promote.dispatch-only          | promote-to-prod.yml | on                                      |
      | the promote workflow no longer requires the sha           | promote.sha-required           | promote-to-prod.yml | on.workflow_dispatch.inputs.sha         |
      | the promote job lost its production environment           | promote.environment            | promote-to-prod.yml | jobs.promote.environment                |
      | the rollback workflow requires a target revision          | rollback.to-revision-optional  | rollback-prod.yml   | on.workflow_dispatch.inputs.to-revision |
      | the rollback workflow uses its own concurrency group      | rollback.concurrency           | rollback-prod.yml   | concurrency                             |
      | the promote workflow cancels a run in progress            | promote.concurrency            | promote-to-prod.yml | concurrency.cancel-in-progress          |
      | the staging deploy also runs for pull requests            | ci.staging-on-main             | ci.yml              | jobs.deploy-staging                     |
      | the legacy production deploy job is switched back on      | ci.legacy-prod-disabled        | ci.yml              | jobs.deploy.if                          |
      | the promote command has a misspelt flag                   | command.parses                 | promote-to-prod.yml | jobs.promote.steps[4] (Promote)         |
      | the rollback command lost its reason                      | command.parses                 | rollback-prod.yml   | jobs.rollback.steps[4] (Rollback)       |

"""The chaos suite (`make chaos`): faults injected into the local stack under a steady checkout
load, and the invariants that must hold afterwards (docs/chaos.md, ADR 0025).

- scenario.py: the `Scenario` interface and the context a scenario acts through;
- registry.py: the scenarios, one line each; scenarios/: one module per scenario;
- load.py: the steady load; runner.py: one scenario from restore to verdict;
- collect.py → evidence.py → invariants.py: read back, plain data, pure checks;
- report.py: build/chaos/report.json and the table.
"""

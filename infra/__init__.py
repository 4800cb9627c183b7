"""The AWS deployment of Framelens as a CDK app (``infra/app.py``).

Owns: constructs (one per concern) and the stacks that compose them. Does not own any runtime
behaviour: functions and containers call the ``framelens`` library, and the state machine is
generated from ``framelens.orchestration.stages``.
"""

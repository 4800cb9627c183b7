"""The ``framelens`` command: serve, analyze, keys, models, version."""

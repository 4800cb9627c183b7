"""One construct per concern: storage, api, ingest, pipeline, gpu compute, observability.

The package is reached as ``infra.constructs`` (never put ``infra/`` itself on ``sys.path``: this
folder would shadow the ``constructs`` library that aws-cdk-lib depends on).
"""

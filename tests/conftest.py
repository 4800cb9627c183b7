pytest_plugins = ["tests.media", "tests.cdk_synth"]

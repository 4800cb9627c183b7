pytest_plugins = ["tests.media", "tests.media_indexed", "tests.cdk_synth"]

pytest_plugins = ["tests.media"]

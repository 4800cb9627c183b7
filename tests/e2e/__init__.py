"""End-to-end tests: the API through HTTP, the real server, and the CLI."""

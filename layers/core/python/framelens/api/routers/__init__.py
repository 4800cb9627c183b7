"""One router per domain; ``framelens.api.app`` includes them all."""

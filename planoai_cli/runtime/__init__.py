"""Runtime stage: the gateway container through the Docker Engine API (the only docker-py user)."""

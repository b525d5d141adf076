"""`infer serve`: the local runtime (server process + worker process running the user's model)."""

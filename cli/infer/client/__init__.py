"""`infer stream`'s core: building requests, consuming SSE with reconnection, measuring."""

"""OpenAI-compatible routes on `infer serve`: `/v1/models`, `/v1/chat/completions`,
`/v1/completions`, mapped onto the repo's own inputs and outputs (see README, "OpenAI-compatible
API"). The runtime underneath is the same one the v2 routes use: same slots, same worker, same
cancellation.

Runs in the server process.
"""

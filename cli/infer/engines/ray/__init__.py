"""Serving a model repo on Ray Serve (`infer serve --engine ray`, `infer deploy --ray`).

Nothing here imports Ray at module level except ``deployments`` and the modules that need a
cluster; ``availability.require_ray()`` is called first and says how to install the extra.
"""

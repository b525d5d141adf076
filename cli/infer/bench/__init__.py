"""`infer bench`'s core: plan, load generator, per-stream checks, statistics, reports.

Nothing here imports Typer or Rich; the command renders what these modules return.
"""

"""`infer doctor`: the facts about this machine a bug report needs (no Typer, no Rich here)."""

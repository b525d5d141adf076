"""Engines that serve a model repo beyond the built-in local runtime (optional extras)."""

"""Static checks of a model repo: rules, findings, renderers."""

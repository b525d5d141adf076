"""infer: scaffold, validate, serve and stream InferlessPythonModel repos locally."""

__version__ = "0.1.0"

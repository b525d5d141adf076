"""`infer init`: rendering model repos from the shipped templates."""

"""The model's environment: parity with the runtime config, isolated envs, variables, devices.

Modules the worker imports (`redaction`, `device`) use only the standard library: they are
shipped into isolated environments, which hold nothing of infer's own dependencies.
"""

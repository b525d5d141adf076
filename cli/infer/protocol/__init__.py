"""What every side of `infer serve` agrees on, whichever process or machine it runs in: the
runtime's error codes and how long a message may be. Imported by the server, the worker, the
Ray engine and the client alike, so it stays small and imports nothing heavy.
"""

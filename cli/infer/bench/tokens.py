"""`--tokenizer DIR`: count the tokens of each answer with a local Hugging Face tokenizer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infer.errors import UsageError


def load_token_counter(folder: str) -> Callable[[str], int]:
    """A function counting the tokens of a text, or a UsageError saying why there is none."""
    if not Path(folder).is_dir():
        raise UsageError(
            f"--tokenizer {folder}: not a folder",
            hint="give a local folder with tokenizer.json (nothing is downloaded)",
        )
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise UsageError(
            "--tokenizer needs the `transformers` package",
            hint="pip install 'infer-cli[model]' (or transformers), or leave --tokenizer out",
        ) from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except Exception as error:  # transformers raises many types for a bad folder
        raise UsageError(f"--tokenizer {folder}: cannot load a tokenizer ({error})") from None

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False))

    return count

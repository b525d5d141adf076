"""Token counts for `usage`, from a local Hugging Face tokenizer (`infer serve --tokenizer`).

transformers is imported only when a tokenizer was asked for, and counting runs in a thread so
the event loop never waits for it. The prompt is counted with the tokenizer's chat template when
it has one (what a chat model sees, less any system prompt the repo adds itself), else as the
text the model's input received.

Runs in the server process.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from infer.runtime.server.openai.objects import Usage

log = logging.getLogger("infer.serve")
NO_TOKENIZER_NOTE = (
    "usage is not counted: start `infer serve --tokenizer FOLDER` (the model's Hugging Face "
    "tokenizer) to get token counts"
)


class TokenCounter:
    """Counts tokens with one tokenizer, loaded on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self.failure: str | None = None

    def _load(self) -> Any:
        with self._lock:
            if self._tokenizer is None and self.failure is None:
                try:
                    from transformers import AutoTokenizer

                    self._tokenizer = AutoTokenizer.from_pretrained(
                        str(self.folder), local_files_only=True
                    )
                except Exception as error:  # a missing package or a folder that is no tokenizer
                    self.failure = f"tokenizer {self.folder} is not usable: {error}"
                    log.warning("%s; usage will not be counted", self.failure)
            return self._tokenizer

    def count(
        self, messages: list[dict[str, str]] | None, prompt_text: str, completion: str
    ) -> Usage | None:
        """Prompt and completion tokens, or None if the tokenizer cannot be loaded."""
        tokenizer = self._load()
        if tokenizer is None:
            return None
        prompt_tokens = None
        if messages is not None and getattr(tokenizer, "chat_template", None):
            try:
                ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
                if hasattr(ids, "keys"):  # newer transformers return an encoding, not ids
                    ids = ids["input_ids"]
                prompt_tokens = len(ids)
            except Exception:  # a template that rejects these roles: count the text instead
                prompt_tokens = None
        if prompt_tokens is None:
            prompt_tokens = len(tokenizer.encode(prompt_text))
        completion_tokens = len(tokenizer.encode(completion, add_special_tokens=False))
        return Usage(prompt_tokens, completion_tokens)

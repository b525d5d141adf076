"""`usage` counted with the repo's tokenizer (`infer serve --tokenizer FOLDER`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.conftest import StartServer
from tests.runtime.openai.conftest import sdk

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def word_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A word-level tokenizer with a chat template: one token per word, easy to count."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from tests.templates.tiny_model import WORDS

    vocab = {"<unk>": 0, **{word: i + 1 for i, word in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>")
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}"
    )
    folder = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(folder)
    return folder


def test_usage_is_counted_with_the_given_tokenizer(
    start_server: StartServer, word_tokenizer: Path
) -> None:
    server = start_server("echo_stream", "--tokenizer", str(word_tokenizer))
    client = sdk(server)
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "egg pan salt"}]
    answer = client.chat.completions.create(model="echo", messages=messages)
    assert answer.choices[0].message.content == "egg pan salt "
    assert answer.usage is not None
    # The chat template renders "user egg pan salt ": `user` is unknown to the vocab, one token.
    assert answer.usage.model_dump(
        include={"prompt_tokens", "completion_tokens", "total_tokens"}
    ) == {
        "prompt_tokens": 4,
        "completion_tokens": 3,
        "total_tokens": 7,
    }
    assert "warnings" not in (answer.model_extra or {})
    chunks = list(
        client.chat.completions.create(
            model="echo", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 7
    completion = client.completions.create(model="echo", prompt="whisk the egg")
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 3)

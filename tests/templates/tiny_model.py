"""A tiny random-weight causal LM with a word-level tokenizer and a chat template, saved with
save_pretrained: the streaming-cpu template's code paths run on it in milliseconds."""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "the",
    "an",
    "egg",
    "omelette",
    "pan",
    "butter",
    "salt",
    "whisk",
    "heat",
    "fold",
    "serve",
    "cook",
    "slowly",
    "and",
    "then",
]


def build_tiny_model(folder: Path) -> Path:
    """Write the model and tokenizer into ``folder`` (as the template's cache expects)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=8192,
        bos_token_id=1,
        eos_token_id=2,
    )
    model = LlamaForCausalLM(config)
    # Never end early: every request streams exactly MAX_NEW_TOKENS tokens.
    model.generation_config.eos_token_id = None
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder

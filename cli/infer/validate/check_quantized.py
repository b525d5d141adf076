"""INF316: a loader of quantized checkpoints given a model id that is not one (a heuristic)."""

from __future__ import annotations

import ast

from infer.repo.sources import all_nodes
from infer.validate.check_flags import module_assignment
from infer.validate.findings import Finding
from infer.validate.rules import rule

PATH = "app.py"
LOADER_METHODS = frozenset({"from_quantized"})
MODEL_KEYWORDS = ("model_path", "quant_path", "model_name_or_path", "model_id")
# Words quantized checkpoints carry in their names (TheBloke/...-AWQ, ...-GPTQ-Int4, ...).
QUANTIZED_MARKERS = ("awq", "gptq", "quant", "int4", "int8", "4bit", "8bit", "w4a16", "w8a8")


def check_quantized_loaders(tree: ast.Module) -> list[Finding]:
    """`X.from_quantized(model_id)` where model_id names no quantized checkpoint."""
    findings = []
    for node in all_nodes(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOADER_METHODS
        ):
            continue
        model_id = _model_id(tree, node)
        if model_id is None or model_id.startswith(("/", ".", "~")):
            continue  # not a literal, or a local folder: nothing to judge by its name
        lowered = model_id.lower()
        if any(marker in lowered for marker in QUANTIZED_MARKERS):
            continue
        loader = ast.unparse(node.func)[:80]
        findings.append(
            rule("INF316").at(
                PATH,
                node.lineno,
                node.col_offset + 1,
                f"{loader} is given {model_id[:120]!r}, which does not look like a quantized "
                "checkpoint (no AWQ or GPTQ in its name)",
                "load a pre-quantized checkpoint (e.g. TheBloke/zephyr-7B-beta-AWQ), or load "
                "this model with AutoModelForCausalLM.from_pretrained",
            )
        )
    return findings


def _model_id(tree: ast.Module, call: ast.Call) -> str | None:
    argument: ast.expr | None = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg in MODEL_KEYWORDS:
            argument = keyword.value
    if isinstance(argument, ast.Name):
        argument = module_assignment(tree, argument.id)
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None

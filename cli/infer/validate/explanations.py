"""Why each rule exists, an example that breaks it, and the fix: `infer validate --explain CODE`.

Kept next to the rule table and checked against it by the tests (every rule has an entry).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Explanation:
    """The long form of a rule."""

    why: str
    example: str
    fix: str


def _e(why: str, example: str, fix: str) -> Explanation:
    return Explanation(why, example, fix)


EXPLANATIONS: dict[str, Explanation] = {
    "INF001": _e(
        "A repo is untrusted input: validate reads at most 256 KB (and 100,000 syntax nodes) of "
        "Python, 256 KB of YAML and 5 MB of JSON, and expands at most 100 YAML aliases, so a "
        "huge or malicious file cannot exhaust memory or time.",
        "app.py with 200 MB of generated code; a YAML file with thousands of *aliases",
        "Keep weights and data out of the checked files and download them in initialize().",
    ),
    "INF002": _e(
        "Parsing nests: a 100,000-deep expression, YAML or JSON document would exhaust the "
        "stack. validate stops at a fixed depth and reports the file instead of crashing.",
        "input.json holding [[[[ ... ]]]] 100,000 levels deep",
        "Write the file the way a person would; split deep expressions up.",
    ),
    "INF003": _e(
        "The platform uploads the repo's files, not what links point at; reading a FIFO blocks "
        "and a device never ends. Such paths are reported and never opened or printed.",
        "ln -s ~/.aws/credentials inferless.yaml",
        "Make it a regular file inside the repo.",
    ),
    "INF100": _e(
        "The platform imports input_schema.py; a syntax error fails the build.",
        'INPUT_SCHEMA = {"TEXT": {"datatype": "STRING",}',
        "Fix the syntax at the reported line (python -m py_compile input_schema.py).",
    ),
    "INF101": _e(
        "Every model declares its inputs: INPUT_SCHEMA in input_schema.py, or a pydantic "
        "@inferless.request class in app.py.",
        "a repo with app.py only",
        'INPUT_SCHEMA = {"TEXT": {"datatype": "STRING", "required": True, "shape": [1], '
        '"example": ["hi"]}}',
    ),
    "INF102": _e(
        "The platform reads the schema without running your code, so it must be literals.",
        "INPUT_SCHEMA = {name: spec for name, spec in build()}",
        "Write the dict out with plain literals.",
    ),
    "INF103": _e(
        "Each entry needs datatype, required, shape and example; the console and callers use "
        "all four.",
        '"TEXT": {"datatype": "STRING", "required": True, "shape": [1]}',
        'Add the missing key, e.g. "example": ["How to make an omelette"].',
    ),
    "INF104": _e(
        "The platform's reference lists STRING, BOOL, INT8-INT64, UINT8-UINT64, FP16, FP32, "
        "FP64, BYTES and BF16 (the streaming page also says INT and BOOLEAN).",
        '"datatype": "TEXT"',
        'Use one of the reference datatypes, e.g. "datatype": "STRING".',
    ),
    "INF105": _e(
        "Streaming models accept only integer, STRING and BOOL inputs; floats and BYTES are "
        "refused when the model is deployed.",
        '"TEMPERATURE": {"datatype": "FP32", "shape": [1], "example": [0.7], ...}',
        'Declare it as "datatype": "STRING" with a string example such as ["0.7"] and '
        'convert it in infer(): float(inputs["TEMPERATURE"]).',
    ),
    "INF106": _e(
        "Streaming inputs are single values: shape [1].",
        '"TOKENS": {"datatype": "INT32", "shape": [-1], ...} with IS_STREAMING_OUTPUT = True',
        "Send lists or objects as one STRING holding json.dumps(...) and json.loads it.",
    ),
    "INF107": _e(
        '`required` is a bool; a string such as "true" is a different type.',
        '"required": "yes"',
        '"required": True',
    ),
    "INF108": _e(
        "A shape is a list of positive dimensions ([1], [3], [2, 2]) or [-1] for any length.",
        '"shape": 1  or  "shape": [0]',
        '"shape": [1]',
    ),
    "INF109": _e(
        "The example is shown to callers and sent by tests; it must be a real input: a list "
        "whose values match the datatype and whose length matches the shape.",
        '"datatype": "BOOL", "example": ["true"]',
        '"example": [true]',
    ),
    "INF110": _e(
        "The platform reads IS_STREAMING_OUTPUT and OPENAI_CLIENT_COMPATIBLITY without running "
        "code; anything but a literal True or False is not read as you mean it.",
        'IS_STREAMING_OUTPUT = os.environ.get("STREAM") == "1"',
        "IS_STREAMING_OUTPUT = True",
    ),
    "INF111": _e(
        "A repo without IS_STREAMING_OUTPUT is non-streaming, which is fine, unless infer() "
        "streams: then the platform calls infer(self, inputs) and the handler never arrives.",
        "def infer(self, inputs, stream_output_handler): ... with no IS_STREAMING_OUTPUT",
        "IS_STREAMING_OUTPUT = True next to INPUT_SCHEMA",
    ),
    "INF112": _e(
        "Only datatype, required, shape and example are read; another key is ignored, often a "
        "typo of one of them.",
        '"shapes": [1]',
        '"shape": [1]',
    ),
    "INF113": _e(
        "A flag spelt differently from the platform's exact name is never read. Note the "
        "platform's own spelling: OPENAI_CLIENT_COMPATIBLITY.",
        "OPENAI_CLIENT_COMPATIBILITY = True",
        "OPENAI_CLIENT_COMPATIBLITY = True",
    ),
    "INF200": _e(
        "The platform builds the model's image from this file; YAML it cannot parse fails the "
        "build. Only the safe loader is used: python tags are errors, never executed.",
        'build:\n  python_packages: ["torch==2.1.2"',
        "Fix the YAML at the reported line.",
    ),
    "INF201": _e(
        "Streaming needs cuda_version 12.4.1, which only the runtime config can ask for.",
        "IS_STREAMING_OUTPUT = True and no inferless-runtime-config.yaml",
        'build:\n  cuda_version: "12.4.1"',
    ),
    "INF202": _e(
        "Everything the build uses lives under `build:`.",
        'cuda_version: "12.4.1" at the top level',
        'build:\n  cuda_version: "12.4.1"',
    ),
    "INF203": _e(
        "Without cuda_version the platform picks a default that streaming rejects.",
        "build:\n  python_packages: [...]",
        'add cuda_version: "12.4.1" under build',
    ),
    "INF204": _e(
        "YAML reads 12.4 as a float (and 12.40 as 12.4); the platform wants the string.",
        "cuda_version: 12.4",
        'cuda_version: "12.4.1"',
    ),
    "INF205": _e(
        "The platform streams only on CUDA 12.4.1 images.",
        'cuda_version: "12.1.1" with IS_STREAMING_OUTPUT = True',
        'cuda_version: "12.4.1"',
    ),
    "INF206": _e(
        "The build installs each list item; a string or mapping is not a list of packages.",
        'python_packages: "torch transformers"',
        'python_packages:\n  - "torch==2.1.2"\n  - "transformers==4.41.1"',
    ),
    "INF207": _e(
        "Each python package is a pip requirement; anything else fails the build.",
        '- "torch = 2.1.2"',
        '- "torch==2.1.2"',
    ),
    "INF208": _e(
        "An unpinned package installs whatever is newest on build day, so two builds of one "
        "repo can differ and break.",
        '- "transformers"',
        '- "transformers==4.41.1"',
    ),
    "INF209": _e(
        "Only build and its cuda_version, system_packages, python_packages and run are read.",
        "build:\n  python_package: [...]",
        "Fix the key's spelling or remove it.",
    ),
    "INF300": _e(
        "The platform imports app.py (and the repo modules it imports); a syntax error there "
        "fails every start.",
        "def infer(self, inputs)\n    return {}",
        "Fix the syntax at the reported line.",
    ),
    "INF301": _e(
        "The platform loads the model from app.py.",
        "a repo without app.py",
        "Create app.py with class InferlessPythonModel (infer init shows one).",
    ),
    "INF302": _e(
        "The platform instantiates the module-level class InferlessPythonModel.",
        "class Model: ...",
        "class InferlessPythonModel: with initialize, infer and finalize",
    ),
    "INF303": _e(
        "The platform calls initialize() once, infer() per request and finalize() at shutdown.",
        "a class without finalize",
        "def finalize(self, *args): ...",
    ),
    "INF304": _e(
        "Streaming calls infer(self, inputs, stream_output_handler); non-streaming calls "
        "infer(self, inputs). Another signature fails on the first request.",
        "def infer(self, inputs) with IS_STREAMING_OUTPUT = True",
        "def infer(self, inputs, stream_output_handler):",
    ),
    "INF305": _e(
        "A streaming model answers only through send_streamed_output; without it the caller "
        "receives nothing.",
        "def infer(self, inputs, stream_output_handler): return {...}",
        'stream_output_handler.send_streamed_output({"OUT": text}) per event',
    ),
    "INF306": _e(
        "finalise_streamed_output() ends the stream; without it the request never completes.",
        "finalize_streamed_output() (the wrong spelling) or no call at all",
        "stream_output_handler.finalise_streamed_output() in a finally: block",
    ),
    "INF307": _e(
        "If the streaming loop raises, a finalise after it is skipped and the request hangs.",
        "for token in streamer: send(...)\nstream_output_handler.finalise_streamed_output()",
        "try: ... finally: stream_output_handler.finalise_streamed_output()",
    ),
    "INF308": _e(
        "One model object serves concurrent requests: state stored on self (a streamer, the "
        "current prompt) is shared, so requests read each other's tokens.",
        "self.streamer = TextIteratorStreamer(self.tokenizer)",
        "streamer = TextIteratorStreamer(self.tokenizer) inside infer()",
    ),
    "INF309": _e(
        "A bare .cuda() fails with an unclear error wherever there is no GPU (tests, CPU "
        "machines) and gives no CPU path.",
        "model = model.cuda()",
        'device = "cuda" if torch.cuda.is_available() else "cpu"; model.to(device)',
    ),
    "INF310": _e(
        "Every streamed event must have the same keys and value types; clients parse them by "
        "the first event's schema.",
        'send({"OUT": t}) ... send({"TEXT": t})',
        "Send one shape of event: the same keys every time.",
    ),
    "INF311": _e(
        "app.py streams but IS_STREAMING_OUTPUT is False: the platform never hands infer() a "
        "stream handler.",
        "IS_STREAMING_OUTPUT = False and send_streamed_output calls",
        "IS_STREAMING_OUTPUT = True, or return a dict from infer()",
    ),
    "INF312": _e(
        "Each event is a dict (it becomes one JSON object on the wire).",
        'stream_output_handler.send_streamed_output("token")',
        'stream_output_handler.send_streamed_output({"OUT": "token"})',
    ),
    "INF313": _e(
        "The platform installs only python_packages (and what they depend on); an import of "
        "anything else fails initialize() after a long build. Import names are mapped to "
        "distributions (PIL is pillow, cv2 is opencv-python, sklearn is scikit-learn, awq is "
        "autoawq, yaml is pyyaml, ...). Imports inside try/except ImportError are optional.",
        "import sentencepiece, with python_packages: [transformers==4.41.1, torch==2.1.2]",
        'add "sentencepiece==0.2.0" to build.python_packages',
    ),
    "INF314": _e(
        "infer() receives only the inputs the schema declares; reading another key raises "
        "KeyError (or .get returns None) on every request.",
        'inputs["text"] with INPUT_SCHEMA declaring "TEXT"',
        'inputs["TEXT"]',
    ),
    "INF315": _e(
        "Callers must send every required input; one that infer() never reads is a burden to "
        "them, and often a sign that a read uses another name.",
        '"PROMPT": {"required": True, ...} and infer() reading only inputs["TEXT"]',
        'Read it, or mark it "required": False.',
    ),
    "INF316": _e(
        "from_quantized loads AWQ or GPTQ checkpoints only; a plain model id fails at load time "
        "after the weights are downloaded. Judged by the id's name (a heuristic).",
        'AutoAWQForCausalLM.from_quantized("mistralai/Mistral-7B-Instruct-v0.2")',
        'AutoAWQForCausalLM.from_quantized("TheBloke/Mistral-7B-Instruct-v0.2-AWQ")',
    ),
    "INF400": _e(
        "The platform's CLI reads inferless.yaml to deploy; broken YAML stops it.",
        "name: [my-model",
        "Fix the YAML at the reported line.",
    ),
    "INF401": _e(
        "inferless.yaml is needed only to deploy with the platform's CLI; repos imported "
        "through the console or Git work without it, so this is a warning.",
        "a repo without inferless.yaml",
        'name: my-model\nconfiguration:\n  inference_time: "180"',
    ),
    "INF402": _e(
        "The platform's CLI needs name and configuration (with inference_time).",
        "configuration:\n  gpu_type: A10",
        "name: my-model at the top level",
    ),
    "INF403": _e(
        "inference_time is how long a request may run, in seconds.",
        'inference_time: "-1"',
        'inference_time: "180"',
    ),
    "INF404": _e(
        "Files named under optional are uploaded with the model; a missing one fails the deploy.",
        "optional:\n  input_file_name: input.json  (with no input.json)",
        "Create the file or remove the line.",
    ),
    "INF405": _e(
        "An unknown key is ignored, often a typo of a known one.",
        "configurations:",
        "configuration:",
    ),
    "INF406": _e(
        "Model names are 1-63 letters, digits, '.', '_' or '-'.",
        "name: my model!",
        "name: my-model",
    ),
    "INF500": _e(
        "input.json is the sample request `infer stream --input-file` sends.",
        '{"inputs": [',
        "Fix the JSON at the reported line.",
    ),
    "INF501": _e(
        "A v2 request is an object with an inputs list of {name, shape, datatype, data}.",
        '{"TEXT": "hi"}',
        '{"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}',
    ),
    "INF502": _e(
        "The sample request must be one the model accepts: known names, matching datatypes "
        "and shapes, every required input.",
        '{"inputs": [{"name": "TXT", ...}]}',
        "Use the schema's input names and types.",
    ),
}


def explain(code: str) -> Explanation | None:
    """The long form of the rule ``code``, if there is one."""
    return EXPLANATIONS.get(code.upper())

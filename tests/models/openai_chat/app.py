"""A streaming model written for the platform's OpenAI flag: `message` holds the conversation as a
JSON list. It streams back a JSON report of what it received (in 6-character pieces), or, when
the last message is "count N", N words `delay_ms` apart. It stops at `max_completion_tokens`
pieces and then says finish_reason "length". `marker` names a file written on cancellation.
"""

import json
import pathlib
import time


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs, stream_output_handler):
        messages = json.loads(inputs["message"])
        last = messages[-1]["content"]
        if last.startswith("count "):
            pieces = [f"w{i} " for i in range(int(last.split()[1]))]
        else:
            report = json.dumps(
                {"messages": messages, **{k: v for k, v in inputs.items() if k != "message"}}
            )
            pieces = [report[i : i + 6] for i in range(0, len(report), 6)]
        limit = inputs.get("max_completion_tokens")
        cut = limit is not None and len(pieces) > limit
        pieces = pieces[:limit] if cut else pieces
        delay = (inputs.get("delay_ms") or 0) / 1000
        try:
            for index, piece in enumerate(pieces):
                final = index == len(pieces) - 1
                reason = ("length" if cut else "stop") if final else ""
                stream_output_handler.send_streamed_output({"OUT": piece, "finish_reason": reason})
                if delay:
                    time.sleep(delay)
        except stream_output_handler.Cancelled:
            if inputs.get("marker"):
                pathlib.Path(inputs["marker"]).write_text("cancelled")
            raise
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass

from typing import Optional

import inferless
from pydantic import BaseModel, Field

IS_STREAMING_OUTPUT = False


@inferless.request
class RequestObjects(BaseModel):
    prompt: str = Field(default="hello")
    repeat: Optional[int] = 1


@inferless.response
class ResponseObjects(BaseModel):
    generated_text: str = Field(default="")


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, request: RequestObjects) -> ResponseObjects:
        return ResponseObjects(generated_text=" ".join([request.prompt] * (request.repeat or 1)))

    def finalize(self, *args):
        pass

import inferless
from pydantic import BaseModel, Field

IS_STREAMING_OUTPUT = True


@inferless.request
class RequestObjects(BaseModel):
    prompt: str = Field(default="hello there")
    shout: bool = False


@inferless.response
class ResponseObjects(BaseModel):
    OUT: str = Field(default="")


class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, request: RequestObjects, stream_output_handler):
        try:
            for word in request.prompt.split():
                text = word.upper() if request.shout else word
                stream_output_handler.send_streamed_output(ResponseObjects(OUT=text))
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        pass

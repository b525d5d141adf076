"""Reading a model repo statically: file layout, input schema, runtime config, inferless.yaml."""

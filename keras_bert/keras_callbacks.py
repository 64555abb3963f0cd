"""transformers' `keras_callbacks` module names, for drop-in imports.

`from transformers.keras_callbacks import KerasMetricCallback` becomes
`from keras_bert.keras_callbacks import KerasMetricCallback`. `PushToHubCallback` is deliberately
not supported (keras_bert does not upload to the Hub): constructing one says what to do instead.
"""

from keras_bert.callbacks import KerasMetricCallback


class PushToHubCallback:
    """Not supported: keras_bert does not push to the Hugging Face Hub."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "keras_bert does not push to the Hugging Face Hub. Save with model.save_pretrained(dir) and "
            "tokenizer.save_pretrained(dir), then upload the folder with huggingface_hub.upload_folder."
        )


__all__ = ["KerasMetricCallback", "PushToHubCallback"]

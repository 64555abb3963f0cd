"""The one error type of checkpoint IO, in a module of its own so every reader, writer and
the model code can import it without importing any format (or any framework)."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or does not fit the model."""

"""The one error type of checkpoint IO, in a module of its own so every reader, writer and
the model code can import it without importing any format (or any framework)."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or does not fit the model."""


def require_readable(path: str, what: str = "checkpoint file") -> str:
    """`path` if this process can read it (a directory: list it); else CheckpointError naming it.
    Readers call it first so a permission problem is not reported as a missing or corrupt file."""
    import os

    if not os.path.lexists(path):
        raise CheckpointError(f"{what.capitalize()} {path!r} does not exist")
    if not os.path.exists(path):
        raise CheckpointError(f"{what.capitalize()} {path!r} is a broken symbolic link")
    mode = os.R_OK | (os.X_OK if os.path.isdir(path) else 0)
    if not os.access(path, mode):
        raise CheckpointError(f"Cannot read {what} {path!r}: permission denied")
    return path

"""One module per section; each exposes `run(context) -> list of row dicts` (one table).

`Context` carries what a run shares: the grid size, a scratch directory, the roofline and
the checkpoints, written on first use so a section that needs none (tokenizer) costs none.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Context:
    quick: bool
    workdir: str
    roofline_gflops: float = 0.0  # best fp32 GEMM rate measured at the start
    classifier: str | None = None  # --classifier DIR
    sentences: str | None = None  # --sentences FILE
    _checkpoints: dict | None = field(default=None, repr=False)

    @property
    def checkpoints(self):
        """{"bert-base": dir, "minilm": dir}; see `workload.make_checkpoints`."""
        if self._checkpoints is None:
            from ..workload import make_checkpoints

            self._checkpoints = make_checkpoints(self.workdir)
        return self._checkpoints

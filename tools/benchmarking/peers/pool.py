"""Worker processes and their interleaved timing: the parent side of worker.py's protocol.

`Worker(name, python, kind, spec)` starts `python worker.py KIND SPEC.json` with the benchmark's
thread settings (environment.ENVIRONMENT) and reads its JSON ready line; `call(i)` writes
"run i" and waits for "ok". `time_points` times every live worker on every point with
`timing.interleaved` (turns rotated per repeat, paired ratios later); a worker that dies
mid-run is dropped with its error and the point is timed again without it.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

from .. import environment, timing

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
TOOLS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOT = os.path.dirname(TOOLS)
READY_TIMEOUT_S = 900


class WorkerDied(RuntimeError):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


class Worker:
    """One contender in its own process; `ready` is its parsed ready line (or {"error": ...})."""

    def __init__(self, name, python, kind, spec_path, main_venv=True, log_path=None, extra_env=None, script=WORKER):
        env = dict(os.environ)
        env.update(environment.ENVIRONMENT)
        env.update(extra_env or {})
        # Peer environments get tools/ only (benchmarking.peers, benchmarking.environment); never keras_bert.
        env["PYTHONPATH"] = os.pathsep.join([ROOT, TOOLS] if main_venv else [TOOLS])
        self.name, self.ready = name, None
        self.log = open(log_path, "w") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [python, script, kind, spec_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
        )

    def wait_ready(self, timeout=READY_TIMEOUT_S):
        if self.ready is None:
            readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if readable else ""
            if not line:
                code = self.proc.poll()
                why = f"exited with code {code}" if code is not None else f"not ready after {timeout} s"
                self.ready = {"error": f"worker {why} before its ready line"}
                self.close()
            else:
                try:
                    self.ready = json.loads(line)
                except json.JSONDecodeError:
                    self.ready = {"error": f"unreadable ready line: {line[:200]!r}"}
        return self.ready

    @property
    def ok(self):
        return self.ready is not None and "error" not in self.ready

    def call(self, index):
        try:
            self.proc.stdin.write(f"run {index}\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        except OSError as error:
            answer = f"{error}"
        if answer != "ok":
            raise WorkerDied(self.name, f"stopped answering ({answer or 'exit code ' + str(self.proc.poll())})")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


class FailedWorker:
    """A contender that never started (its environment failed to build): its rows say why."""

    def __init__(self, name, error):
        self.name, self.ready = name, {"error": error}

    ok = False

    def wait_ready(self, timeout=None):
        return self.ready

    def close(self):
        pass


def time_points(workers, n_points, repeats, min_seconds, log=None):
    """[{name: [seconds per pass, per repeat]} per point] over the workers that are ready.

    A worker that dies is given `ready = {"error": ...}` and left out of that point and the next.
    """
    out = []
    for index in range(n_points):
        while True:
            live = {w.name: w for w in workers if w.ok}
            impls = {name: (lambda w=w, i=index: w.call(i)) for name, w in live.items()}
            try:
                times = timing.interleaved(impls, lambda: (), repeats, min_seconds=min_seconds, warmup=False)
                break
            except WorkerDied as died:
                live[died.name].ready = {"error": str(died)}
                live[died.name].close()
        out.append(times)
        if log:
            log(f"point {index + 1}/{n_points} timed ({len(live)} workers)")
    return out


def log_stderr(message):
    print(f"  peers: {message}", file=sys.stderr, flush=True)

"""Run a submitted notebook in its own Jupyter kernel, cell by cell, with a time limit the student cannot disable.

The limit is kept by this process (the client), not by code inside the kernel: when a cell runs too long the
kernel is interrupted, and if it does not answer within a grace period (a bare ``except:`` that swallows the
interrupt, a C extension that ignores it) it is killed, restarted, and the cells that had finished are run again,
so that only the exercise whose cell hung loses its points.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

GRACE_S = 5.0


class KernelLost(RuntimeError):
    """The kernel died or could not be brought back; what is left of the notebook cannot be graded."""


class KernelSession:
    """One kernel for one notebook: ``run_cell`` for the notebook's cells, ``run_code`` for the grader's own."""

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        cwd: Path,
        env: dict,
        cell_limit: float,
        prelude: str = "",
        pid_file: str | None = None,
    ):
        self.nb, self.cwd, self.env, self.cell_limit, self.prelude = nb, Path(cwd), env, cell_limit, prelude
        self.pid_file = pid_file  # where the kernel's process id is written (the batch kills it if all else fails)
        self.client: NotebookClient | None = None
        self.replay: list[int] = []  # indices of the notebook cells that finished (to replay after a restart)
        self.restarts = 0

    # --- life cycle ------------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.client = NotebookClient(
            self.nb,
            timeout=max(1, int(round(self.cell_limit))),
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=False,
            record_timing=False,
            resources={"metadata": {"path": str(self.cwd)}},
            startup_timeout=120,
        )
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel(env=self.env, cwd=str(self.cwd))
        self.client.start_new_kernel_client()
        if self.pid_file and self.pid():
            Path(self.pid_file).write_text(str(self.pid()))
        if self.prelude:
            self.run_code(self.prelude, timeout=120)

    def pid(self) -> int | None:
        try:
            return self.client.km.provisioner.process.pid  # type: ignore[union-attr]
        except Exception:
            return None

    def close(self) -> None:
        if self.client is not None and self.client.km is not None:
            try:
                self.client.kc.stop_channels()
            except Exception:
                pass
            try:
                run_sync(self.client.km.shutdown_kernel)(now=True)  # nbclient's manager is asynchronous
            except Exception:
                pass

    def _restart(self) -> None:
        """Kill the kernel, start a fresh one, and replay the prelude and every cell that had finished."""
        self.restarts += 1
        self.close()
        self.start()
        for index in list(self.replay):
            cell = self.nb.cells[index]
            try:
                self.client.execute_cell(cell, index)
            except (CellTimeoutError, DeadKernelError) as err:
                raise KernelLost(f"cell {index} did not finish again after the kernel was restarted") from err

    def _recover(self) -> None:
        """After a timeout: interrupt; if the kernel does not answer within the grace period, restart it."""
        try:
            run_sync(self.client.km.interrupt_kernel)()
        except Exception:
            pass
        if not self._answers(GRACE_S):
            self._restart()

    def _answers(self, seconds: float) -> bool:
        probe = nbformat.v4.new_code_cell("pass")
        old = self.client.timeout
        self.client.timeout = max(1, int(seconds))
        try:
            self._execute_aside(probe)
            return True
        except (CellTimeoutError, DeadKernelError):
            return False
        except Exception:
            return False
        finally:
            self.client.timeout = old

    # --- running ---------------------------------------------------------------------------------------------------

    def _execute_aside(self, cell) -> None:
        """Run a cell that is not part of the notebook (nbclient stores an executed cell at its index: undo that)."""
        kept = self.nb.cells[0]
        try:
            self.client.execute_cell(cell, 0, store_history=False)
        finally:
            self.nb.cells[0] = kept

    def run_cell(self, index: int) -> str:
        """Run notebook cell ``index``: 'ok', 'error' (it raised), 'timeout' (stopped) or 'dead' (kernel died)."""
        cell = self.nb.cells[index]
        self.client.timeout = max(1, int(round(self.cell_limit)))
        self.started = time.monotonic()
        try:
            self.client.execute_cell(cell, index)
        except CellTimeoutError:
            cell.setdefault("outputs", []).append(
                nbformat.v4.new_output(
                    "stream", name="stderr", text=f"[grader] this cell ran longer than {self.cell_limit:g} s: stopped\n"
                )
            )
            self._recover()
            return "timeout"
        except DeadKernelError:
            self._restart()
            return "dead"
        self.replay.append(index)
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        return "error" if errored else "ok"

    def run_code(self, source: str, timeout: float) -> tuple[str, list]:
        """Run the grader's own code (not stored in the notebook): ('ok' | 'error' | 'timeout', outputs)."""
        cell = nbformat.v4.new_code_cell(source)
        self.client.timeout = max(1, int(round(timeout)))
        start = time.monotonic()
        try:
            self._execute_aside(cell)
        except CellTimeoutError:
            self._recover()
            return "timeout", []
        except DeadKernelError:
            self._restart()
            return "dead", []
        finally:
            self.elapsed = time.monotonic() - start
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        return ("error" if errored else "ok"), cell.get("outputs", [])

"""Engines: a papermill execution engine that keeps one warm kernel per process.

Starting a kernel and importing pandas, matplotlib and statsmodels in it costs about two
seconds per notebook (shared/notes/performance.md); the analysis itself a fraction of that.
:class:`WarmEngine` starts the kernel once, and before each further notebook clears the user
namespace (``%reset -f``) and closes figures, so every notebook starts from the same state as in
a fresh kernel while imported modules stay loaded. A test checks that a brief from a reused
kernel is identical to one from a fresh kernel. A kernel that died is replaced.

Kernels start with IPython's output cache off (``Out``, ``_1``, ``_``…): a report never reads
it, and with it on, every reset ends in a full garbage collection of the kernel's heap (pandas,
matplotlib, statsmodels loaded), about 0.13 s per notebook. They talk to the worker over Unix
sockets (``ipc``): no port listens on localhost, and ipykernel does not warn about unencrypted
TCP in every build's log (TCP only where Unix sockets cannot be used, see :func:`transport`).

The kernel manager and client are the asynchronous ones nbclient itself uses: with a blocking
client, nbclient's wait for output blocks its event loop, so the check that the kernel is still
alive never runs and a kernel that dies mid-notebook (``os._exit``, out of memory) hangs the
worker forever instead of raising ``DeadKernelError``.

Registered with papermill as ``engine_name="warm"``.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from analysis import processes

log = logging.getLogger(__name__)

#: Arguments the kernel starts with (see the module docstring).
KERNEL_ARGUMENTS = ["--InteractiveShell.cache_size=0"]

#: Start of the names of kernel socket files (``<temp>/analysis-kernel-<worker pid>-…``).
SOCKETS = "analysis-kernel-"

#: Run (without history) before each further notebook: no open figures, an empty namespace, a
#: new history session and execution counts from 1 again, as in a fresh kernel.
RESET = (
    "import sys as _sys\nif 'matplotlib.pyplot' in _sys.modules:\n"
    "    _sys.modules['matplotlib.pyplot'].close('all')\nget_ipython().reset(new_session=True)\n"
)


class WarmEngine(Engine):
    """Execute notebooks in one kernel kept alive between notebooks (one per process)."""

    km: AsyncKernelManager | None = None
    kc = None
    kernel_name: str | None = None
    cwd: str | None = None
    notebooks_run = 0

    @classmethod
    def _kernel(cls, kernel_name: str, cwd: str | None, startup_timeout: int) -> None:
        alive = cls.km is not None and run_sync(cls.km.is_alive)()
        if alive and cls.kernel_name == kernel_name and cls.cwd == cwd:
            run_sync(cls.kc.execute_interactive)(
                RESET, store_history=False, timeout=startup_timeout
            )
            return
        cls.shutdown()
        remove_stale_sockets()
        cls.km = AsyncKernelManager(kernel_name=kernel_name, **transport())
        run_sync(cls.km.start_kernel)(cwd=cwd, extra_arguments=KERNEL_ARGUMENTS)
        cls.kc = cls.km.client()
        cls.kc.start_channels()
        run_sync(cls.kc.wait_for_ready)(timeout=startup_timeout)
        cls.kernel_name, cls.cwd = kernel_name, cwd
        log.debug("started kernel %s in %s", kernel_name, cwd)

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        **kwargs,
    ):
        cwd = kwargs.get("cwd")
        cls._kernel(kernel_name, cwd, start_timeout)
        kwargs = remove_args(["input_path", "cwd", "timeout", "startup_timeout"], **kwargs)
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=log,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=cls.km, **final)
        client.kc = cls.kc
        try:
            return client.execute()
        except Exception as exc:
            # papermill writes nothing when the kernel dies (DeadKernelError): hand the cells run
            # so far to the caller, which keeps them as the executed notebook for audit
            exc.notebook = nb_man.nb
            raise
        finally:
            cls.notebooks_run += 1

    @classmethod
    def shutdown(cls) -> None:
        """Stop the kernel (at the end of a build, or before replacing a dead one)."""
        if cls.kc is not None:
            cls.kc.stop_channels()
        if cls.km is not None and cls.km.has_kernel:
            run_sync(cls.km.shutdown_kernel)(now=True)
        cls.km = cls.kc = cls.kernel_name = cls.cwd = None


#: Longest socket path the operating system takes (108 bytes on Linux, 104 on macOS), with room
#: for the channel number jupyter_client appends.
MAX_SOCKET_PATH = 100


def transport() -> dict[str, str]:
    """How a new kernel talks to its worker: Unix sockets of its own in the temporary folder
    (jupyter_client's default, ./kernel-ipc-<n>, is shared by the kernels of parallel workers
    started in the same folder), or TCP on localhost where there are no Unix sockets (Windows)
    or the temporary folder's path is too long for one."""
    path = Path(tempfile.gettempdir(), f"{SOCKETS}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    if os.name == "nt" or len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return {"transport": "tcp"}
    return {"transport": "ipc", "ip": str(path)}


def remove_stale_sockets() -> list[Path]:
    """Delete the socket files of kernels whose worker process is gone (a killed worker cannot
    remove its kernel's; a kernel whose parent dies stops by itself)."""
    name = re.compile(rf"{re.escape(SOCKETS)}(\d+)-.*")
    return processes.remove_orphans(Path(tempfile.gettempdir()).glob(f"{SOCKETS}*"), name)


papermill_engines.register("warm", WarmEngine)

"""Warm kernels for a run: started while the data are validated, reused notebook after notebook, fresh each time.

A new Jupyter kernel costs a notebook about a second before its first line
runs: the process starts, then pandas, matplotlib, scipy and statsmodels
are imported. A run's :class:`KernelPool` starts its kernels in the
background when the run starts, each importing :data:`WARM_MODULES`, and
lends them to papermill one notebook at a time.

Between two notebooks a kernel is put back to the state of a new kernel
that has imported those modules (:func:`reset`, which runs inside the
kernel): user namespace and history cleared, execution count back to 1,
every ``evaltools`` module dropped from ``sys.modules`` (imported afresh by
the next notebook, so no module state travels), figures closed, and
matplotlib's rcParams, the warnings filters, pandas' options, numpy's error
and print settings, ``sys.path``, ``os.environ`` and the working folder as
they were. A kernel that died, or that does not answer in time, is shut
down and replaced. Every kernel is shut down when the pool closes, also on
an error or Ctrl-C.

This file is also loaded inside each kernel (by its path, under the name
:data:`KERNEL_MODULE`, so that dropping ``evaltools*`` modules leaves it):
at module level it imports nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

#: Third-party modules every kernel imports while it warms up: those the notebooks of a run import. Not warmed
#: (each costs every kernel its import while the run waits for it): statsmodels (only trajectories of three or more
#: waves import it), pandera and openpyxl (validation, which a run does once, outside the kernels).
WARM_MODULES = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "scipy.stats", "scipy.optimize", "scipy.sparse",
                "networkx", "yaml")
#: The name this file has inside a kernel.
KERNEL_MODULE = "__evaltools_kernel__"
#: Seconds a kernel may take to start and warm up, and to reset between notebooks, before it is replaced.
START_TIMEOUT = 180.0
RESET_TIMEOUT = 60.0

# =========================================================================== inside the kernel

_SAVED: dict = {}


def warm_up(modules=WARM_MODULES) -> None:
    """Import ``modules`` (those missing are skipped) and remember the state :func:`reset` goes back to."""
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _SAVED.clear()
    _SAVED.update(snapshot())
    settle()


def settle() -> None:
    """Collect garbage once, then freeze what is left: later collections no longer walk the imported modules.

    The imports leave about 240 000 objects that live as long as the
    kernel; a full collection walks all of them (0.15-0.5 s, once or twice
    per notebook). After :func:`gc.freeze` the collector skips them: a
    notebook's collections only walk what the notebook made, and its
    garbage is still collected (nothing made after the freeze is frozen).
    """
    gc.collect()
    gc.freeze()


def snapshot() -> dict:
    """What :func:`restore` puts back: rcParams, warnings filters, numpy settings, sys.path, environment, folder."""
    state = {"filters": list(warnings.filters), "path": list(sys.path), "environ": dict(os.environ),
             "cwd": os.getcwd()}
    if "matplotlib" in sys.modules:
        rc = dict(sys.modules["matplotlib"].rcParams.copy())
        rc.pop("backend", None)  # as matplotlib.rc_context does: the backend is not a setting to undo
        state["rc"] = rc
    if "numpy" in sys.modules:
        np = sys.modules["numpy"]
        state["numpy"] = (np.geterr(), np.get_printoptions())
    return state


def reset(cwd: str) -> None:
    """Make this kernel as a new one that has run :func:`warm_up`, working in folder ``cwd``.

    Called as one expression (the user namespace it clears is the one the
    call runs in).
    """
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # namespace, In/Out, execution count back to 1
    for name in [n for n in sys.modules if n == "evaltools" or n.startswith("evaltools.")]:
        del sys.modules[name]
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated options warn when they are reset
            sys.modules["pandas"].reset_option("all")
    restore(_SAVED, cwd)
    settle()


def restore(state: dict, cwd: str) -> None:
    """Put back what :func:`snapshot` saved; the folder becomes ``cwd`` (also where ``sys.path`` had the old one)."""
    if "rc" in state:
        rc = sys.modules["matplotlib"].rcParams
        update = getattr(rc, "_update_raw", None) or (lambda values: dict.update(rc, values))
        update(state["rc"])
    if "numpy" in state:
        np = sys.modules["numpy"]
        np.seterr(**state["numpy"][0])
        np.set_printoptions(**state["numpy"][1])
    warnings.filters[:] = state["filters"]
    getattr(warnings, "_filters_mutated", lambda: None)()  # forget which warnings were already shown
    sys.path[:] = [cwd if p == state["cwd"] else p for p in state["path"]]
    for key in set(os.environ) - set(state["environ"]):
        del os.environ[key]
    for key, value in state["environ"].items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    os.chdir(cwd)


# =========================================================================== the pool (in the run's process)

def quiet_kernel_manager(base=None):
    """A kernel manager class (``base``: jupyter_client's async one) whose kernel's stderr stays off the terminal."""
    import subprocess

    if base is None:
        from jupyter_client.manager import AsyncKernelManager as base

    class QuietKernelManager(base):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = subprocess.DEVNULL
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


def _pooled_manager_class():
    from jupyter_client.manager import KernelManager

    class PooledKernelManager(quiet_kernel_manager(KernelManager)):
        """A quiet kernel manager driven from the pool's threads; papermill gets asynchronous clients of it."""

        fresh_in: str | None = None  # the folder of the last reset; None once a notebook used the kernel

    return PooledKernelManager


class KernelError(RuntimeError):
    """A kernel that did not start, warm up or reset."""


def run_code(km, code: str, *, timeout: float) -> None:
    """Execute ``code`` silently in ``km``'s kernel; raise :class:`KernelError` on an error, death or timeout."""
    kc = km.blocking_client()
    kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
    try:
        msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise KernelError(f"the kernel did not answer within {timeout:.0f} s")
            try:
                reply = kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                if not km.is_alive():
                    raise KernelError("the kernel died") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")
    finally:
        kc.stop_channels()


class KernelPool:
    """``size`` warm kernels of the Jupyter kernel ``kernel_name``, lent to one notebook at a time.

    Use it as a context manager: every kernel it started is shut down at the
    end of the ``with`` block, whatever happened. :meth:`start` starts the
    kernels in the background (the caller goes on: the kernels warm up
    while it validates the data); :meth:`kernel` lends one. Set :attr:`cwd`
    to the folder the notebooks run in before lending the first.
    """

    def __init__(self, size: int, kernel_name: str, *, cwd: str | Path | None = None):
        self.size = max(1, int(size))
        self.kernel_name = kernel_name
        self.cwd = None if cwd is None else str(cwd)
        self._ready: queue.Queue[Future] = queue.Queue()
        self._managers: list = []
        self._lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None
        self._home: str | None = None
        self._closed = False

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def managers(self) -> tuple:
        """Every kernel manager this pool started (alive or not)."""
        with self._lock:
            return tuple(self._managers)

    def start(self) -> KernelPool:
        """Start the kernels in the background if not started yet; return the pool."""
        with self._lock:
            if self._closed:
                raise KernelError("the kernel pool is closed")
            if self._threads is not None:
                return self
            self._home = tempfile.mkdtemp(prefix="evaltools-kernels-")
            self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="evaltools-kernel")
            for _ in range(self.size):
                self._ready.put(self._threads.submit(self._new_kernel))
        return self

    @contextlib.contextmanager
    def kernel(self):
        """A warm kernel manager, fresh and in :attr:`cwd`, for one notebook; reset (or replaced) afterwards."""
        self.start()
        future = self._ready.get()
        km = None
        try:
            km = future.result()
            if km.fresh_in != self.cwd:
                km = self._recycle(km)
            km.fresh_in = None
            yield km
        finally:
            self._put_back(km)

    def _put_back(self, km) -> None:
        """Reset ``km`` (or start a replacement) in the background for the next notebook."""
        with self._lock:
            if not self._closed:
                self._ready.put(self._threads.submit(self._recycle, km))
                return
        if km is not None:
            _shutdown(km)

    def _recycle(self, km):
        """``km`` reset into :attr:`cwd`; a new kernel when it is dead, gone or does not reset."""
        if km is not None and km.is_alive():
            try:
                return self._reset(km)
            except KernelError:
                pass
        if km is not None:
            _shutdown(km)
        return self._new_kernel()

    def _reset(self, km):
        """``km``, its kernel reset into :attr:`cwd` (when set); :class:`KernelError` when it does not reset."""
        if self.cwd is not None:
            run_code(km, f"__import__('sys').modules[{KERNEL_MODULE!r}].reset({self.cwd!r})", timeout=RESET_TIMEOUT)
        km.fresh_in = self.cwd
        return km

    def _new_kernel(self):
        """Start a kernel, warm it up (and reset it into :attr:`cwd` when known); shut it down if that fails."""
        from jupyter_client.asynchronous import AsyncKernelClient

        km = _pooled_manager_class()(kernel_name=self.kernel_name, client_factory=AsyncKernelClient)
        with self._lock:
            if self._closed:
                raise KernelError("the kernel pool is closed")
            self._managers.append(km)
        try:
            km.start_kernel(cwd=self._home, extra_arguments=["--HistoryManager.hist_file=:memory:"])
            run_code(km, _warm_up_code(), timeout=START_TIMEOUT)
            return self._reset(km)
        except BaseException:
            _shutdown(km)
            raise

    def close(self) -> None:
        """Shut every kernel down (those still starting too); the pool cannot be used afterwards."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, None
        if threads is not None:
            for km in self.managers:  # kernels being started or reset: stop them so their threads end now
                _shutdown(km)
            threads.shutdown(wait=True, cancel_futures=True)
        for km in self.managers:
            _shutdown(km)
        if self._home:
            shutil.rmtree(self._home, ignore_errors=True)


def _warm_up_code() -> str:
    """The code a new kernel runs: load this file as :data:`KERNEL_MODULE`, then :func:`warm_up`."""
    return (f"import importlib.util as _u, sys as _s\n"
            f"_spec = _u.spec_from_file_location({KERNEL_MODULE!r}, {str(Path(__file__).resolve())!r})\n"
            f"_s.modules[_spec.name] = _m = _u.module_from_spec(_spec)\n"
            f"_spec.loader.exec_module(_m)\n"
            f"_m.warm_up({WARM_MODULES!r})\n"
            f"del _u, _s, _spec, _m\n")


def _shutdown(km) -> None:
    """Shut ``km``'s kernel down now; never raises (a kernel already gone is fine)."""
    with contextlib.suppress(Exception):
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    with contextlib.suppress(Exception):
        km.cleanup_resources()

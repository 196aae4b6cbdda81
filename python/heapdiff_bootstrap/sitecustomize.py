"""heapdiff's bootstrap for ``heapdiff run -- python ...`` (see docs/capture.md).

``heapdiff run`` puts this directory first on ``PYTHONPATH``, so Python imports this module at
start-up (``site`` imports ``sitecustomize``), before the program, which is not changed.  It
loads heapdiff's writer (``heapdiff.py`` in ``HEAPDIFF_PYTHON_DIR``), installs its SIGUSR2
handler writing into ``HEAPDIFF_SNAPSHOT_DIR``, starts ``tracemalloc`` with
``HEAPDIFF_TRACEMALLOC`` frames when that is set (``heapdiff run --track-allocations``), and
then writes ``HEAPDIFF_READY_FILE`` (the
process id) so heapdiff knows SIGUSR2 is now safe to send.  It removes its traces from the
environment, so programs this one starts are left alone, and then runs the ``sitecustomize``
it shadows, if there is one.  Outside ``heapdiff run`` (no ``HEAPDIFF_SNAPSHOT_DIR``) it does
nothing but that last step.
"""
import os
import sys


def _install():
    directory = os.environ.pop("HEAPDIFF_SNAPSHOT_DIR", None)
    python_dir = os.environ.pop("HEAPDIFF_PYTHON_DIR", None)
    ready = os.environ.pop("HEAPDIFF_READY_FILE", None)
    frames = os.environ.pop("HEAPDIFF_TRACEMALLOC", None)
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.abspath(p) != here]
    if path:
        os.environ["PYTHONPATH"] = os.pathsep.join(path)
    else:
        os.environ.pop("PYTHONPATH", None)
    if not directory or not python_dir:
        return
    try:
        import importlib.util
        import signal

        spec = importlib.util.spec_from_file_location("heapdiff", os.path.join(python_dir, "heapdiff.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault("heapdiff", module)
        spec.loader.exec_module(module)
        module.install_signal_handler(signal.SIGUSR2, directory)
        if frames:
            import tracemalloc

            tracemalloc.start(int(frames))
        if ready:
            tmp = ready + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % os.getpid())
            os.replace(tmp, ready)
    except Exception as e:  # never keep the program from starting
        sys.stderr.write("heapdiff: could not install the snapshot writer: %s\n" % e)


def _chain():
    """Runs the sitecustomize this one shadows (Python only imports the first it finds)."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    this = sys.modules.pop("sitecustomize", None)
    try:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
        import importlib

        importlib.import_module("sitecustomize")
    except ModuleNotFoundError as e:
        if e.name != "sitecustomize":
            sys.stderr.write("heapdiff: error in sitecustomize: %s\n" % e)
        if this is not None:
            sys.modules["sitecustomize"] = this
    except Exception as e:
        sys.stderr.write("heapdiff: error in sitecustomize: %s\n" % e)
    finally:
        sys.path[:] = saved


_install()
_chain()

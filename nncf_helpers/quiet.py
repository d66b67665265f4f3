"""Import TensorFlow without its C++ start-up log lines.

TensorFlow 2.21 writes INFO lines (the oneDNN notice, missing CUDA drivers) straight to
file descriptor 2 when it loads, and ``TF_CPP_MIN_LOG_LEVEL`` does not silence them. Under
Jupyter they land in the first output of a report, above the data banner. Python errors
are not affected: an import that fails still raises.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def native_stderr_silenced():
    """Send what native code writes to file descriptor 2 to /dev/null inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow() -> None:
    """Import TensorFlow and Keras once, with the start-up log lines silenced."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

        # Device discovery logs a failed cuInit on machines without a GPU.
        tf.config.list_physical_devices()

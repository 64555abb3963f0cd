"""Export-time check: every op of a SavedModel must exist in TF Serving, which ships core
TensorFlow kernels plus tensorflow-text's op library and nothing else."""

from __future__ import annotations

import functools
import glob
import os

import tensorflow as tf

# Core ops that TF Serving cannot run: they call back into a Python interpreter.
PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})


class UnservableOpError(ValueError):
    """The exported graph uses an op TF Serving does not have."""


@functools.cache
def core_ops() -> frozenset:
    """Ops of core TensorFlow: those with a generated wrapper in `tf.raw_ops`."""
    return frozenset(name for name in dir(tf.raw_ops) if not name.startswith("_"))


@functools.cache
def tensorflow_text_ops() -> frozenset:
    """Ops registered by tensorflow-text's kernel libraries."""
    import tensorflow_text
    from tensorflow.python.framework import op_def_registry

    names = set()
    for library in glob.glob(os.path.join(os.path.dirname(tensorflow_text.__file__), "python", "ops", "*.so")):
        module = tf.load_op_library(library)
        names.update(a for a in dir(module) if a[:1].isupper() and op_def_registry.get(a) is not None)
    return frozenset(names)


def saved_model_ops(export_dir: str) -> set[str]:
    """Every op type in the SavedModel's graphs, functions included."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    ops = set()
    for meta in proto.meta_graphs:
        ops.update(node.op for node in meta.graph_def.node)
        for function in meta.graph_def.library.function:
            ops.update(node.op for node in function.node_def)
    return ops


def check_serving_ops(export_dir: str) -> set[str]:
    """Returns the op set; raises UnservableOpError naming any op TF Serving lacks."""
    ops = saved_model_ops(export_dir)
    allowed = (core_ops() | tensorflow_text_ops()) - PYTHON_OPS
    bad = sorted(ops - allowed)
    if bad:
        raise UnservableOpError(
            f"The exported graph uses op(s) outside core TensorFlow and tensorflow-text: {', '.join(bad)}. "
            "TF Serving cannot run them."
        )
    return ops

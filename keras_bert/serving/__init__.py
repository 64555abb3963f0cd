"""Text-in SavedModels for TF Serving (see `export_saved_model`)."""

from keras_bert.serving.export import TASK_BY_CLASS, export_saved_model, infer_task
from keras_bert.serving.ops_check import UnservableOpError, check_serving_ops
from keras_bert.serving.tasks import PAIR_TASKS, TASKS

__all__ = [
    "export_saved_model",
    "infer_task",
    "check_serving_ops",
    "UnservableOpError",
    "TASKS",
    "PAIR_TASKS",
    "TASK_BY_CLASS",
]

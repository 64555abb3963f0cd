"""Text-in SavedModels for TF Serving (`export_saved_model`); TFLite files for XNNPACK (`export_tflite`)."""

from keras_bert.serving.export import TASK_BY_CLASS, export_saved_model, infer_task
from keras_bert.serving.ops_check import UnservableOpError, check_serving_ops
from keras_bert.serving.tasks import PAIR_TASKS, TASKS
from keras_bert.serving.tflite import TFLiteModel, export_tflite, load_tflite

__all__ = [
    "export_saved_model",
    "export_tflite",
    "load_tflite",
    "TFLiteModel",
    "infer_task",
    "check_serving_ops",
    "UnservableOpError",
    "TASKS",
    "PAIR_TASKS",
    "TASK_BY_CLASS",
]

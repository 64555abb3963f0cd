"""Export a BERT checkpoint to ONNX, then ORT's transformer optimizer, then int8 dynamic quantization.

    <ort env python> onnx_export.py CHECKPOINT_DIR OUT_DIR

Runs in the `ort` environment (no keras_bert). Writes into OUT_DIR:

    model.onnx        transformers BertModel (eager attention, the graph ORT's fusions expect),
                      torch.onnx.export, dynamic batch and sequence axes, output last_hidden_state
    optimized.onnx    onnxruntime.transformers.optimizer.optimize_model(model_type="bert",
                      num_heads, hidden_size from config.json): fused attention, LayerNorm, GELU
    int8.onnx         onnxruntime.quantization.quantize_dynamic(optimized.onnx, QInt8 weights):
                      what the ORT/optimum docs tell CPU users to do
    .complete         written last (the parent caches OUT_DIR per checkpoint content)
"""

from __future__ import annotations

import json
import os
import sys

FILES = {"fp32": "model.onnx", "optimized": "optimized.onnx", "int8": "int8.onnx"}
MARKER = ".complete"


def export(checkpoint, out):
    import torch
    import transformers

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    bert = transformers.BertModel.from_pretrained(checkpoint, attn_implementation="eager").eval()

    class Wrapped(torch.nn.Module):  # keyword arguments: the positional order of forward is not a contract
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state, out.pooler_output

    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            Wrapped(),
            (ids, mask, torch.zeros_like(ids)),
            os.path.join(out, FILES["fp32"]),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,
        )


def optimize(checkpoint, out):
    from onnxruntime.transformers.optimizer import optimize_model

    with open(os.path.join(checkpoint, "config.json")) as f:
        config = json.load(f)
    model = optimize_model(
        os.path.join(out, FILES["fp32"]),
        model_type="bert",
        num_heads=config["num_attention_heads"],
        hidden_size=config["hidden_size"],
    )
    model.save_model_to_file(os.path.join(out, FILES["optimized"]))
    return model.get_fused_operator_statistics()


def quantize(out):
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The fused (com.microsoft) operators defeat the quantizer's shape inference; it asks for a default type.
    quantize_dynamic(
        os.path.join(out, FILES["optimized"]),
        os.path.join(out, FILES["int8"]),
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def main(checkpoint, out):
    os.makedirs(out, exist_ok=True)
    export(checkpoint, out)
    fused = optimize(checkpoint, out)
    quantize(out)
    with open(os.path.join(out, MARKER), "w") as f:
        json.dump({"checkpoint": checkpoint, "fused": fused}, f)
    print(json.dumps(fused))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

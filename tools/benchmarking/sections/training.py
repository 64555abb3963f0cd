"""(b) Seconds per training step: sequence classification (2 labels), batch 8 x 128, AdamW.

Keras `train_on_batch` (tf.function, and XLA in full runs) against the twin with
`torch.optim.AdamW`, starting from the same saved weights.
"""

from __future__ import annotations

import os
import statistics

import numpy as np

from .. import timing
from ..workload import random_batch

TWIN = "twin sdpa + torch.optim.AdamW"


def run(context):
    import keras
    import torch

    import keras_bert
    import keras_bert.torch as twin

    name = "minilm" if context.quick else "bert-base"
    batch, length = 8, 128
    keras.utils.set_random_seed(0)
    keras_model = keras_bert.TFBertForSequenceClassification.from_pretrained(context.checkpoints[name], num_labels=2)
    cls_dir = os.path.join(context.workdir, f"{name}-cls")
    keras_model.save_pretrained(cls_dir)  # the twin starts from exactly these weights
    ids, mask = random_batch(batch, length, keras_model.config.vocab_size, seed=2)
    labels = np.random.default_rng(3).integers(0, 2, (batch,)).astype("int32")
    x = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    lr, wd = 2e-5, 0.01

    impls = {}
    for jit in (False,) if context.quick else (False, True):
        m = keras_bert.TFBertForSequenceClassification.from_pretrained(cls_dir)
        m.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr, weight_decay=wd), jit_compile=jit)
        impls[f"keras train_on_batch ({'XLA' if jit else 'tf.function'})"] = lambda m=m: m.train_on_batch(x, labels)
    tm = twin.BertForSequenceClassification.from_pretrained(cls_dir).train()
    opt = torch.optim.AdamW(tm.parameters(), lr=lr, weight_decay=wd)
    t_ids, t_mask, t_labels = torch.from_numpy(ids).long(), torch.from_numpy(mask), torch.from_numpy(labels).long()

    def torch_step():
        opt.zero_grad(set_to_none=True)
        loss = tm(input_ids=t_ids, attention_mask=t_mask, labels=t_labels).loss
        loss.backward()
        opt.step()
        return loss.item()

    impls[TWIN] = torch_step
    times = timing.interleaved(
        {k: (lambda f=f: f()) for k, f in impls.items()}, lambda: (), 2 if context.quick else 3, min_seconds=0
    )
    return step_rows(times, name, batch, length)


def step_rows(times, model, batch, length):
    """One row per impl: median seconds per step and its paired ratio to the twin's step."""
    return [
        dict(
            model=model,
            batch=batch,
            length=length,
            impl=k,
            step_s=round(statistics.median(v), 3),
            vs_twin=round(timing.paired_ratio(times, TWIN, k), 3),
        )
        for k, v in times.items()
    ]

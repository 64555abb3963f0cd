"""The calling contract of every Keras model: transformers 4.x TF's `call` signature.

`model(input_ids, attention_mask=..., ..., labels=..., return_dict=..., training=...)`, or a dict
of those as the first argument (what `model.fit` and a tokenizer's `BatchEncoding` give). The
rules (which names exist, which labels a head takes, when a loss is computed) are
`keras_bert.contract`'s, shared with the PyTorch twin; this module applies them to Keras:
validate the inputs in the graph (`input_checks`), run the head's `forward`, add `head_loss`.
"""

from __future__ import annotations

from collections.abc import Mapping

from keras_bert import contract
from keras_bert.backend import is_tensorflow
from keras_bert.models.input_checks import check_inputs


class CallingContract:
    """Mixin of `TFBertPreTrainedModel`: `__call__` and `call`. Subclasses provide `spec`
    (a `contract.HeadSpec`), `head_forward(inputs, training)` and `head_loss(labels, outputs)`.

    Input checks (`input_checks`): on TensorFlow they run inside the graph (also in `tf.function`,
    `predict_fn`, SavedModels). On jax and torch the dtype, rank and static-shape checks always
    run, and the value checks (ids in range) run on the host with NumPy wherever the values are
    concrete (eager calls, torch `fit`); inside `jax.jit` (jax `fit`/`predict`, a user's jitted
    `stateless_call`) values are tracers and cannot be asserted on, so out-of-range ids there are
    not reported: check a batch eagerly (`model(batch)`) before jitting.

    The head's computation is `head_forward`, not `forward`: on the torch backend a Keras layer is
    a `torch.nn.Module` whose `forward` is Keras' own entry to `call`, which must not be shadowed.
    """

    # Set False to skip the input checks (the benchmark measures their cost this way).
    check_inputs = True

    def __call__(self, *args, **kwargs):
        # Any mapping of inputs (a tokenizer's BatchEncoding, say) is passed on as a plain
        # dict: Keras only treats exact dicts as nested structures of tensors.
        if args and isinstance(args[0], Mapping) and type(args[0]) is not dict:
            args = (dict(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    def call(
        self,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache=None,
        output_attentions=None,
        output_hidden_states=None,
        return_dict=None,
        labels=None,
        next_sentence_label=None,
        start_positions=None,
        end_positions=None,
        training=False,
    ):
        given = locals()
        others = {n: given[n] for n in contract.CALL_NAMES[1:]}
        inputs, labels, return_dict = contract.split_call(
            self.spec, type(self).__name__, input_ids, others, config=self.config
        )
        if self.check_inputs:
            inputs = check_inputs(inputs, self.config, self.spec.input_rank)
        outputs = self.head_forward(inputs, training=training)
        if contract.loss_applies(self.spec, labels):
            outputs["loss"] = self.head_loss(labels, outputs)
        return outputs if return_dict else outputs.to_tuple()

    def head_forward(self, inputs: dict, training=False):
        raise NotImplementedError

    if is_tensorflow():  # `keras_bert.generation` (TensorFlow only) runs the head as `model.forward`

        def forward(self, inputs: dict, training=False):
            return self.head_forward(inputs, training=training)

    def head_loss(self, labels: dict, outputs):
        raise NotImplementedError(f"{type(self).__name__} has no built-in loss")

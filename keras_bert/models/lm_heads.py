"""Language-model heads: pretraining (MLM + NSP), masked LM, causal LM, next sentence."""

import os

import keras

from keras_bert import losses, outputs
from keras_bert.backend import is_tensorflow
from keras_bert.contract import HEADS
from keras_bert.generation.config import GENERATION_CONFIG_NAME, GenerationConfig
from keras_bert.layers.heads import TFBertClsHeads
from keras_bert.models.base import TFBertPreTrainedModel

if is_tensorflow():  # Keras has imported TensorFlow already
    from keras_bert.generation.generate import GenerationMixin
else:  # generate() is TensorFlow code: keep TensorFlow out of jax/torch processes until it is called
    from keras_bert.models.generation_stub import GenerationStub as GenerationMixin


class _ClsModel(TFBertPreTrainedModel):
    """A model whose head is HF's `cls` module (MLM and/or NSP)."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        spec = self.spec
        self.cls = TFBertClsHeads(self.config, mlm=spec.mlm, nsp=spec.nsp, name="cls", dtype=self.dtype_policy)

    def heads(self, encoded):
        """(MLM logits (B, T, V) or None, NSP logits (B, 2) or None)."""
        return self.cls(encoded.last_hidden_state, encoded.pooler_output, self.get_input_embeddings().embeddings)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForPreTraining(_ClsModel):
    """MLM + NSP. Labels: `labels` (B, T) with -100 for unmasked tokens, `next_sentence_label` (B,).
    The loss is the sum of the MLM and NSP losses; as in transformers it needs both label sets."""

    spec = HEADS["BertForPreTraining"]

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        mlm, nsp = self.heads(encoded)
        return outputs.TFBertForPreTrainingOutput(
            prediction_logits=mlm,
            seq_relationship_logits=nsp,
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
        )

    def head_loss(self, labels, out):
        mlm = losses.masked_cross_entropy(labels["labels"], out.prediction_logits)
        return mlm + losses.masked_cross_entropy(labels["next_sentence_label"], out.seq_relationship_logits)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForMaskedLM(_ClsModel):
    """Masked-LM logits (B, T, V); no pooler. Labels (B, T), -100 where not masked."""

    spec = HEADS["BertForMaskedLM"]

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        logits, _ = self.heads(encoded)
        return outputs.TFMaskedLMOutput(
            logits=logits, hidden_states=encoded.hidden_states, attentions=encoded.attentions
        )

    def head_loss(self, labels, out):
        return losses.masked_cross_entropy(labels["labels"], out.logits)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertLMHeadModel(GenerationMixin, _ClsModel):
    """Causal LM (set `is_decoder=True`): logits (B, T, V), `past_key_values` for incremental
    decoding, cross-attention with `add_cross_attention=True`. Labels (B, T) are shifted
    inside the loss: logits at t predict labels at t + 1. `generate()` decodes (see
    `keras_bert.generation`); its defaults, `generation_config`, are read from and written to
    `generation_config.json` beside the checkpoint.

    Cache format: a tuple over layers of `(k, v)` or `(k, v, cross_k, cross_v)`, each
    (B, num_heads, length, head_dim).

    Example:
        >>> model = TFBertLMHeadModel.from_pretrained("path/to/decoder")  # is_decoder=True
        >>> model.generate(input_ids, max_new_tokens=10, num_beams=4, eos_token_id=102)
    """

    spec = HEADS["BertLMHeadModel"]

    def load_extras(self, directory):
        """`generation_config.json` when the checkpoint has one (else the generation defaults come
        from the model config, as in transformers)."""
        if os.path.isfile(os.path.join(directory, GENERATION_CONFIG_NAME)):
            self.generation_config = GenerationConfig.from_pretrained(directory)

    def save_extras(self, directory):
        self.generation_config.save_pretrained(directory)

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        logits, _ = self.heads(encoded)
        return outputs.TFCausalLMOutputWithCrossAttentions(
            logits=logits,
            past_key_values=encoded.past_key_values,
            hidden_states=encoded.hidden_states,
            attentions=encoded.attentions,
            cross_attentions=encoded.cross_attentions,
        )

    def head_loss(self, labels, out):
        return losses.causal_lm_loss(labels["labels"], out.logits)


@keras.saving.register_keras_serializable(package="keras_bert")
class TFBertForNextSentencePrediction(_ClsModel):
    """Is sentence B the continuation of A? Logits (B, 2); labels (B,) with 0 = continuation."""

    spec = HEADS["BertForNextSentencePrediction"]

    def head_forward(self, inputs, training=False):
        encoded = self.encode(inputs, training)
        _, logits = self.heads(encoded)
        return outputs.TFNextSentencePredictorOutput(
            logits=logits, hidden_states=encoded.hidden_states, attentions=encoded.attentions
        )

    def head_loss(self, labels, out):
        return losses.masked_cross_entropy(labels["labels"], out.logits)

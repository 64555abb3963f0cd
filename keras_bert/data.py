"""tf.data pipelines that tokenize inside the graph.

`text_dataset` / `tokenize_dataset`: raw strings (and labels) -> TFBertTokenizer
in chunks -> bucket rows of similar length -> pad each batch to its longest row
-> prefetch. `pretraining_dataset`: raw text files -> sentence pairs (50% the
real next sentence, 50% a random one) -> tokenized pairs -> BERT masking
(15% of tokens: 80% [MASK], 10% a random token, 10% unchanged).

Every element is `(inputs, labels)` with `inputs` a dict of int32 tensors
(`input_ids`, `token_type_ids`, `attention_mask`), so `model.fit(dataset)` and
`keras_bert.training.train(model, dataset)` use the heads' built-in losses.
"""

from __future__ import annotations

import tensorflow as tf

IGNORE_INDEX = -100
INPUT_KEYS = ("input_ids", "token_type_ids", "attention_mask")
DEFAULT_BUCKETS = (16, 32, 64, 128, 256)


def _tokenize_chunk(tokenizer, text, text_pair=None):
    """(C,) strings -> dict of (C, L) int32 padded rows, plus "length" (C,)."""
    encoded = tokenizer(text) if text_pair is None else tokenizer(text, text_pair)
    out = {k: tf.cast(encoded[k], tf.int32) for k in INPUT_KEYS if k in encoded}
    out["length"] = tf.reduce_sum(tf.cast(encoded["attention_mask"], tf.int32), axis=1)
    return out


def _trim(row: dict) -> dict:
    """One unbatched row: drops the chunk's padding (L,) -> (length,)."""
    length = row.pop("length")
    return {k: v[:length] for k, v in row.items()}


def tokenize_dataset(
    dataset: tf.data.Dataset,
    tokenizer,
    batch_size: int,
    *,
    text: str = "text",
    text_pair: str | None = None,
    label: str | None = "label",
    bucket_boundaries=DEFAULT_BUCKETS,
    shuffle_buffer: int | None = None,
    seed: int | None = None,
    drop_remainder: bool = False,
    chunk_size: int = 256,
    prefetch: bool = True,
) -> tf.data.Dataset:
    """Tokenizes a dataset of dict elements (string fields) in the graph and batches it.

    Args:
        dataset: elements are dicts with a string field `text` (and `text_pair`),
            and, unless `label` is None, a label field `label` (any shape that
            batches, e.g. scalar class ids).
        tokenizer: a `TFBertTokenizer` (its `max_length`/`truncation` apply).
        batch_size: rows per batch.
        bucket_boundaries: sequence-length bucket edges; rows of similar length are
            batched together and each batch is padded only to its longest row.
            None or () pads each batch of consecutive rows to its longest row.
        shuffle_buffer: shuffle examples (before tokenization) with this buffer.
        chunk_size: strings tokenized per tokenizer call (one vectorized graph op).

    Returns:
        A dataset of `(inputs, labels)` (or `inputs` alone when `label` is None).
    """
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    pad_id = int(getattr(tokenizer, "_ids", {}).get("pad_token", 0))

    def tokenize(batch):
        inputs = _tokenize_chunk(tokenizer, batch[text], batch[text_pair] if text_pair else None)
        return (inputs, batch[label]) if label else inputs

    dataset = dataset.batch(chunk_size).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if label:
        dataset = dataset.map(lambda x, y: (_trim(x), y))
    else:
        dataset = dataset.map(_trim)
    spec = dataset.element_spec
    input_spec = spec[0] if label else spec
    pad_inputs = {k: tf.constant(pad_id if k == "input_ids" else 0, tf.int32) for k in input_spec}
    padding_values = (pad_inputs, tf.constant(0, spec[1].dtype)) if label else pad_inputs
    if label and spec[1].shape.rank:  # padded_batch needs a pad value per label element
        padding_values = (pad_inputs, tf.constant(IGNORE_INDEX, spec[1].dtype))

    def length(*element):
        return tf.shape(element[0]["input_ids"])[0]

    if bucket_boundaries:
        boundaries = [int(b) + 1 for b in bucket_boundaries]  # a row of length b fits bucket b
        dataset = dataset.bucket_by_sequence_length(
            length,
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
            padding_values=padding_values,
            drop_remainder=drop_remainder,
        )
    else:
        dataset = dataset.padded_batch(batch_size, padding_values=padding_values, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE) if prefetch else dataset


def text_dataset(texts, labels=None, tokenizer=None, batch_size: int = 32, text_pairs=None, **options):
    """`tokenize_dataset` over in-memory lists: texts (and text_pairs) of str, labels of ints/floats.

    Example:
        tok = TFBertTokenizer.from_pretrained(model_dir, max_length=128)
        ds = text_dataset(train_texts, train_labels, tok, batch_size=32, shuffle_buffer=1000)
        model.fit(ds, epochs=3)
    """
    if tokenizer is None:
        raise ValueError("text_dataset needs a tokenizer (a TFBertTokenizer)")
    fields = {"text": tf.constant(list(texts), tf.string)}
    if text_pairs is not None:
        fields["text_pair"] = tf.constant(list(text_pairs), tf.string)
    if labels is not None:
        fields["label"] = tf.constant(labels)
    return tokenize_dataset(
        tf.data.Dataset.from_tensor_slices(fields),
        tokenizer,
        batch_size,
        text_pair="text_pair" if text_pairs is not None else None,
        label="label" if labels is not None else None,
        **options,
    )


# -- masked-LM + next-sentence pretraining ------------------------------------------------
def mask_tokens(
    input_ids,
    special_tokens_mask,
    *,
    mask_token_id: int,
    vocab_size: int,
    mlm_probability: float = 0.15,
    seed=None,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
):
    """BERT masking on a (B, T) int batch (also `DataCollatorForLanguageModeling`'s masking).

    Each position where `special_tokens_mask` is 0 is chosen with `mlm_probability`; of the
    chosen, `mask_replace_prob` (80%) become `mask_token_id`, `random_replace_prob` (10%) a
    uniformly random token in [0, vocab_size), the rest stay.
    Returns `(masked_ids, labels)`: labels hold the original id where chosen, -100 elsewhere.
    `seed`: a stateless seed (shape (2,) int) for reproducible masks; None draws fresh.
    """
    input_ids = tf.convert_to_tensor(input_ids)
    shape = tf.shape(input_ids)
    if seed is None:
        draws = tf.random.uniform(tf.concat([[3], shape], 0))
        random_ids = tf.random.uniform(shape, 0, vocab_size, dtype=input_ids.dtype)
    else:
        seed = tf.cast(seed, tf.int64)
        draws = tf.random.stateless_uniform(tf.concat([[3], shape], 0), seed)
        random_ids = tf.random.stateless_uniform(shape, seed + 1, 0, vocab_size, dtype=input_ids.dtype)
    if mask_replace_prob + random_replace_prob > 1 or min(mask_replace_prob, random_replace_prob) < 0:
        raise ValueError(
            f"Need mask_replace_prob, random_replace_prob >= 0 with a sum <= 1, got {mask_replace_prob} "
            f"and {random_replace_prob}"
        )
    remaining = 1.0 - mask_replace_prob
    random_share = random_replace_prob / remaining if remaining > 0 else 0.0  # of the not-[MASK] chosen
    candidate = tf.equal(tf.cast(special_tokens_mask, tf.int32), 0)
    chosen = candidate & (draws[0] < mlm_probability)
    to_mask = chosen & (draws[1] < mask_replace_prob)
    to_random = chosen & ~to_mask & (draws[2] < random_share)
    masked = tf.where(to_mask, tf.cast(mask_token_id, input_ids.dtype), input_ids)
    masked = tf.where(to_random, random_ids, masked)
    labels = tf.where(chosen, input_ids, tf.cast(IGNORE_INDEX, input_ids.dtype))
    return masked, labels


def sentence_pairs(files, *, nsp_probability: float = 0.5, shuffle_buffer: int = 10_000, seed=None):
    """Raw text files -> dataset of {"text", "text_pair", "next_sentence_label"}.

    One sentence per line; a blank line ends a document. A pair is a line and the line
    after it in the same document (label 0) or, with `nsp_probability`, a line drawn at
    random from the corpus (label 1, HF's "B is random").
    """
    files = [files] if isinstance(files, (str, bytes)) else list(files)
    lines = tf.data.TextLineDataset(files).map(tf.strings.strip)
    consecutive = tf.data.Dataset.zip((lines, lines.skip(1)))
    consecutive = consecutive.filter(lambda a, b: (tf.strings.length(a) > 0) & (tf.strings.length(b) > 0))
    randoms = lines.filter(lambda s: tf.strings.length(s) > 0).repeat().shuffle(shuffle_buffer, seed=seed)
    coins = tf.data.Dataset.random(seed=seed).map(lambda r: tf.cast(r % 1_000_000, tf.float32) / 1e6)

    def choose(pair, other, coin):
        # A draw that happens to be the true next sentence is labelled as such.
        is_random = (coin < nsp_probability) & tf.not_equal(other, pair[1])
        return {
            "text": pair[0],
            "text_pair": tf.where(is_random, other, pair[1]),
            "next_sentence_label": tf.cast(is_random, tf.int32),
        }

    return tf.data.Dataset.zip((consecutive, randoms, coins)).map(choose)


def pretraining_dataset(
    files,
    tokenizer,
    batch_size: int,
    *,
    mlm_probability: float = 0.15,
    nsp_probability: float = 0.5,
    shuffle_buffer: int = 10_000,
    seed: int | None = None,
    drop_remainder: bool = True,
    repeat: bool = False,
) -> tf.data.Dataset:
    """MLM + NSP batches for `TFBertForPreTraining` (or MLM only for `TFBertForMaskedLM`:
    drop the `next_sentence_label`).

    `tokenizer` is a `TFBertTokenizer` with `max_length` (pairs are truncated
    longest-first). Elements: `(inputs, {"labels": (B, T), "next_sentence_label": (B,)})`.
    Masks are drawn afresh each epoch.
    """
    ids = tokenizer._ids
    mask_id = tokenizer._vocab_table.lookup(tf.constant(tokenizer.mask_token)).numpy()
    specials = tf.constant(sorted({ids["cls_token"], ids["sep_token"], ids["pad_token"]}), tf.int32)
    vocab_size = int(tokenizer._vocab_table.size().numpy())
    pairs = sentence_pairs(files, nsp_probability=nsp_probability, shuffle_buffer=shuffle_buffer, seed=seed)
    if shuffle_buffer:
        pairs = pairs.shuffle(shuffle_buffer, seed=seed)
    if repeat:
        pairs = pairs.repeat()

    def encode(batch):
        enc = tokenizer(batch["text"], batch["text_pair"])
        input_ids = tf.cast(enc["input_ids"], tf.int32)
        special = tf.reduce_any(input_ids[..., None] == specials, axis=-1)  # (B, T)
        special = special | tf.equal(tf.cast(enc["attention_mask"], tf.int32), 0)
        masked, labels = mask_tokens(
            input_ids, special, mask_token_id=int(mask_id), vocab_size=vocab_size, mlm_probability=mlm_probability
        )
        inputs = {
            "input_ids": masked,
            "token_type_ids": tf.cast(enc["token_type_ids"], tf.int32),
            "attention_mask": tf.cast(enc["attention_mask"], tf.int32),
        }
        return inputs, {"labels": labels, "next_sentence_label": batch["next_sentence_label"]}

    dataset = pairs.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


__all__ = [
    "IGNORE_INDEX",
    "mask_tokens",
    "pretraining_dataset",
    "sentence_pairs",
    "text_dataset",
    "tokenize_dataset",
]

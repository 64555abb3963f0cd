"""Graph pieces of TFBertTokenizer: normalization and pair assembly.

Built only from core TensorFlow and tensorflow-text ops, with every character
class given as explicit code point ranges derived from Python's `unicodedata`
(see `unicode_tables`), so the graph reproduces `BertTokenizer` exactly and
runs where only `tensorflow` and `tensorflow_text` are importable.
"""

import functools
import weakref

import tensorflow as tf
import tensorflow_text as tf_text
from tensorflow.core.framework import attr_value_pb2

from keras_bert.tokenization import unicode_tables as ut

SIGMA = "\u03a3"


def re2_escape(text):
    """Escapes a literal string for RE2."""
    out = []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"\\x{{{ord(ch):X}}}")
    return "".join(out)


def branch_cond(pred, true_fn, false_fn):
    """`tf.cond` that runs only the taken branch, for branches of many ops (the exact path).

    In a `tf.function` TensorFlow lowers `tf.cond` to Switch/Merge nodes, and then every node of
    the branch not taken is still visited, to pass on a "dead" marker. Behind the fast path lie the
    few hundred nodes of the exact pipeline: visiting them cost ~1 us per string on batches of 256
    that never used them (measured: 0.8x -> 1.0x transformers 4.57's TFBertTokenizer). Unlowered,
    the cond stays one `If` op that calls the taken branch as a function.
    """
    if tf.executing_eagerly():
        return tf.cond(pred, true_fn, false_fn)
    graph = tf.compat.v1.get_default_graph()
    first = len(graph.get_operations())
    out = tf.cond(pred, true_fn, false_fn)
    for op in graph.get_operations()[first:]:
        if op.type in ("If", "StatelessIf"):
            op._set_attr("_lower_using_switch_merge", attr_value_pb2.AttrValue(b=False))
    return out


_TRACED = weakref.WeakKeyDictionary()  # outermost graph being built -> {(owner id, name): (ref, fn)}


def traced_once(owner, name, fn):
    """fn on (N,) strings as one function per outermost graph being built (eager: fn itself).

    For a pipeline with several call sites (each branch of the fast path that may need it):
    inline, every call site copies all its ops into the graph; as a tf.function it is traced
    once and each call site is one call op. Cached per outermost graph, not on the layer, so no
    function outlives the graph it captured its tables in.
    """
    if tf.executing_eagerly():
        return fn
    graph = tf.compat.v1.get_default_graph()
    while isinstance(getattr(graph, "outer_graph", None), tf.__internal__.FuncGraph):
        graph = graph.outer_graph
    functions = _TRACED.setdefault(graph, {})
    ref, traced = functions.get((id(owner), name), (None, None))
    if ref is None or ref() is not owner:
        traced = tf.function(fn, input_signature=[tf.TensorSpec([None], tf.string)], autograph=False)
        functions[id(owner), name] = (weakref.ref(owner), traced)
    return traced


def literal_alternation(tokens):
    """RE2 alternation of literal tokens, longest first (leftmost-longest)."""
    tokens = sorted({t for t in tokens if t}, key=len, reverse=True)
    return "(?:" + "|".join(re2_escape(t) for t in tokens) + ")"


@functools.cache
def lower_patch_tables():
    """Where `tf.strings.lower` differs from `str.lower`, and how to fix it.

    Returns (flag_class, char_keys, char_values, class_keys, class_values):
    flag_class matches characters whose word must take the exact path (TF
    lowering differs on the character alone, plus capital sigma, whose
    Final_Sigma context rule uses per-version Cased/Case_Ignorable sets);
    char_* map each changed character to its `str.lower()`; class_* give the
    Final_Sigma class (1 cased, 2 case-ignorable) probed from `str.lower`.
    """
    with tf.init_scope():
        kept = ut.kept_code_points()
        chars = [chr(cp) for cp in kept]
        tf_lower = tf.strings.lower(tf.constant(chars), encoding="utf-8").numpy()
    differing = [ord(c) for c, t in zip(chars, tf_lower) if t.decode("utf-8") != c.lower()]
    flag = sorted(set(differing) | {ord(SIGMA)})
    flag_class = ut.ranges_to_class([(cp, cp) for cp in flag])
    table = ut.python_lower_table()
    char_keys = [chr(cp) for cp in table]
    char_values = ["".join(map(chr, v)) for v in table.values()]
    classes = {c: ut.sigma_class(str.lower, ord(c)) for c in chars}
    class_keys = [c for c, k in classes.items() if k]
    class_values = [classes[c] for c in class_keys]
    return flag_class, char_keys, char_values, class_keys, class_values


class ExactLower(tf.Module):
    """`str.lower()` on a 1-D tensor of words.

    Fast path `tf.strings.lower`; words holding a character on which TF and
    Python disagree (or a capital sigma) are redone character by character
    with tables taken from Python, including the Final_Sigma rule.
    """

    def __init__(self):
        super().__init__()
        flag_class, ck, cv, sk, sv = lower_patch_tables()
        self.flag_pattern = ".*" + flag_class + ".*"
        self.char_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(ck), tf.constant(cv)), default_value=""
        )
        self.class_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(sk), tf.constant(sv, tf.int32)), default_value=0
        )

    def __call__(self, words):
        lowered = tf.strings.lower(words, encoding="utf-8")
        flagged = tf.strings.regex_full_match(words, self.flag_pattern)
        idx = tf.where(flagged)  # (F, 1)
        chosen = tf.gather_nd(words, idx)
        # Most batches flag no word: skip the ~150 ops of the character-by-character redo then.
        exact = branch_cond(tf.size(chosen) > 0, lambda: self._exact(chosen), lambda: chosen)
        return tf.tensor_scatter_nd_update(lowered, idx, exact)

    def _exact(self, words):
        chars = tf.strings.unicode_split(words, "UTF-8")  # (F, (C))
        flat = chars.flat_values
        mapped = self.char_table.lookup(flat)
        mapped = tf.where(tf.strings.length(mapped) > 0, mapped, flat)
        # Final_Sigma: Σ preceded (skipping case-ignorables) by a cased
        # character and not followed (likewise) by one becomes ς.
        cls = self.class_table.lookup(flat)
        rows = chars.value_rowids()
        n = tf.size(flat, out_type=tf.int64)
        positions = tf.concat([tf.where(tf.not_equal(cls, 2))[:, 0], [n]], 0)
        cls_ext = tf.concat([cls, [0]], 0)
        rows_ext = tf.concat([rows, [-1]], 0)
        at = tf.range(n)
        left = tf.searchsorted(positions[None], at[None], side="left")[0] - 1
        left = tf.where(left < 0, tf.size(positions, out_type=left.dtype) - 1, left)
        right = tf.searchsorted(positions[None], at[None], side="right")[0]
        prev = tf.gather(positions, left)
        nxt = tf.gather(positions, right)
        prev_cased = (tf.gather(rows_ext, prev) == rows) & (tf.gather(cls_ext, prev) == 1)
        next_cased = (tf.gather(rows_ext, nxt) == rows) & (tf.gather(cls_ext, nxt) == 1)
        final = tf.equal(flat, SIGMA) & prev_cased & ~next_cased
        mapped = tf.where(final, "\u03c2", mapped)
        return tf.strings.reduce_join(chars.with_flat_values(mapped), axis=-1)


def truncate_lengths(len_a, len_b, max_length, strategy):
    """Kept lengths of the first/second sequences (int64 vectors).

    Same arithmetic as `encoding.truncate`; len_b None for single sequences.
    """
    n_special = 2 if len_b is None else 3
    total = len_a + (0 if len_b is None else len_b) + n_special
    remove = tf.maximum(total - max_length, 0)
    zero = tf.zeros_like(len_a)
    if strategy == "only_first" or (strategy == "longest_first" and len_b is None):
        return tf.maximum(len_a - remove, zero), len_b
    if strategy == "longest_first":
        first = tf.minimum(tf.abs(len_b - len_a), remove)
        second = remove - first
        a_longer = len_a > len_b
        cut_a = tf.where(a_longer, first + second // 2, second // 2)
        cut_b = tf.where(a_longer, second - second // 2, first + second - second // 2)
        return tf.maximum(len_a - cut_a, zero), tf.maximum(len_b - cut_b, zero)
    if strategy == "only_second" and len_b is not None:
        cut_b = tf.where(len_b > 0, remove, zero)
        return len_a, tf.maximum(len_b - cut_b, zero)
    return len_a, len_b


def normalize_utf8(text, form):
    return tf_text.normalize_utf8(text, form)

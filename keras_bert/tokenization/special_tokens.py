"""Special and added tokens: the token bookkeeping shared by `BertTokenizer` and `BertTokenizerFast`.

transformers 4.x (4.34 on) semantics: the vocabulary file is the base vocabulary (`vocab`,
`vocab_size`); tokens added with `add_tokens` / `add_special_tokens`, and special tokens missing
from the file (google's test vocabulary has no `[PAD]` or `[MASK]`), get the next free ids and
live in `added_tokens_encoder` / `added_tokens_decoder`; `len(tokenizer)` and `get_vocab()` count
both. A special token set to None (e.g. `pad_token=None`) has id None, and padding then raises
transformers' error. Added tokens are matched whole in the text before any other tokenization;
non-special ones ignore case when the tokenizer lowercases.
"""

import re

SPECIAL_TOKEN_NAMES = ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
SPECIAL_TOKENS_ATTRIBUTES = (*SPECIAL_TOKEN_NAMES, "additional_special_tokens")


def token_content(token):
    """A str, or a `tokenizers.AddedToken` (anything with `.content`), as its text."""
    return token if token is None or isinstance(token, str) else str(token.content)


class SpecialTokensMixin:
    """Special token attributes and ids, added tokens, `add_tokens`, `add_special_tokens`, `__len__`.

    A subclass sets `self.vocab` ({token: id}, the base vocabulary) and `self.ids_to_tokens`, then
    calls `_init_special_tokens`. `_on_tokens_added(tokens, special)` is its hook (the fast
    tokenizer forwards to its backend).
    """

    def _init_special_tokens(self, special_tokens, additional_special_tokens=None, restored=()):
        """Sets the special tokens; `restored` [(id, token, special)] are saved added tokens, kept at their ids."""
        self.added_tokens_encoder = {}
        self.added_tokens_decoder = {}
        self._special_added = set()
        for index, token, special in restored:
            if token in self.vocab and self.vocab[token] != index:
                raise ValueError(
                    f"Added token {token!r} was saved with id {index} but is id {self.vocab[token]} in vocab.txt"
                )
            self.added_tokens_encoder[token] = index
            self.added_tokens_decoder[index] = token
            if special:
                self._special_added.add(token)
        for name in SPECIAL_TOKEN_NAMES:
            setattr(self, name, token_content(special_tokens.get(name)))
        self.additional_special_tokens = [token_content(t) for t in additional_special_tokens or []]
        self._add(self.all_special_tokens, special=True)

    # -- special token attributes --------------------------------------------
    @property
    def all_special_tokens(self):
        """The special tokens (unk, sep, pad, cls, mask, then additional ones), without None or repeats."""
        out = []
        for token in [getattr(self, n) for n in SPECIAL_TOKEN_NAMES] + list(self.additional_special_tokens):
            if token is not None and token not in out:
                out.append(token)
        return out

    @property
    def all_special_ids(self):
        return [self.convert_tokens_to_ids(t) for t in self.all_special_tokens]

    @property
    def special_tokens_map(self):
        """{attribute: token} of the special tokens that are set (transformers' `special_tokens_map`)."""
        out = {n: getattr(self, n) for n in SPECIAL_TOKEN_NAMES if getattr(self, n) is not None}
        if self.additional_special_tokens:
            out["additional_special_tokens"] = list(self.additional_special_tokens)
        return out

    def _special_id(self, name):
        token = getattr(self, name)
        return None if token is None else self.convert_tokens_to_ids(token)

    unk_token_id = property(lambda self: self._special_id("unk_token"))
    sep_token_id = property(lambda self: self._special_id("sep_token"))
    pad_token_id = property(lambda self: self._special_id("pad_token"))
    cls_token_id = property(lambda self: self._special_id("cls_token"))
    mask_token_id = property(lambda self: self._special_id("mask_token"))

    @property
    def additional_special_tokens_ids(self):
        return [self.convert_tokens_to_ids(t) for t in self.additional_special_tokens]

    # -- vocabulary -----------------------------------------------------------
    @property
    def vocab_size(self):
        """Size of the base vocabulary (vocab.txt), added tokens excluded, as transformers."""
        return len(self.vocab)

    def get_vocab(self):
        """{token: id} of the base vocabulary and the added tokens."""
        return {**self.vocab, **self.added_tokens_encoder}

    def __len__(self):
        """Base vocabulary plus added tokens (the size an embedding matrix needs)."""
        return len(self.get_vocab())

    def get_added_vocab(self):
        """{token: id} of the added tokens (special tokens included, as transformers 4.34+)."""
        return dict(self.added_tokens_encoder)

    def convert_tokens_to_ids(self, tokens):
        """A token (or list of tokens) to its id: added tokens first, then vocab.txt, else the unk id."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(t) for t in tokens]

    def _token_to_id(self, token):
        if token in self.added_tokens_encoder:
            return self.added_tokens_encoder[token]
        if token in self.vocab:
            return self.vocab[token]
        unk = self.unk_token
        return self.added_tokens_encoder.get(unk, self.vocab.get(unk)) if unk is not None else None

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        """An id (or list of ids) to tokens; unknown ids give `unk_token`."""
        if isinstance(ids, int):
            return self._id_to_token(ids)
        special = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._id_to_token(int(i)) for i in ids if int(i) not in special]

    def _id_to_token(self, index):
        if index in self.added_tokens_decoder:
            return self.added_tokens_decoder[index]
        return self.ids_to_tokens.get(index, self.unk_token)

    # -- adding tokens ----------------------------------------------------------
    def add_tokens(self, new_tokens, special_tokens=False):
        """Adds tokens (str or `AddedToken`, one or a list) that are matched whole in text.

        Returns how many new ids were created (tokens already in the vocabulary keep their id).

        Example:
            >>> tokenizer.add_tokens(["new_tok1", "my_new-tok2"])  # doctest: +SKIP
            2
        """
        if not new_tokens:
            return 0
        if isinstance(new_tokens, str) or not isinstance(new_tokens, (list, tuple)):
            new_tokens = [new_tokens]
        for token in new_tokens:
            if not isinstance(token, str) and not hasattr(token, "content"):
                raise TypeError(f"add_tokens takes str or AddedToken tokens, got {type(token).__name__}: {token!r}")
        flags = [bool(special_tokens) or bool(getattr(t, "special", False)) for t in new_tokens]
        lower = getattr(self, "do_lower_case", False)  # transformers lowercases normalized added tokens
        contents = [
            token_content(t).lower() if lower and not f and getattr(t, "normalized", True) else token_content(t)
            for t, f in zip(new_tokens, flags)
        ]
        return self._add(contents, special=flags)

    def add_special_tokens(self, special_tokens_dict, replace_additional_special_tokens=True):
        """Sets special tokens from {attribute: token} and adds the new ones to the vocabulary.

        Keys: unk_token, sep_token, pad_token, cls_token, mask_token and additional_special_tokens
        (a list; it replaces the current list unless `replace_additional_special_tokens=False`).
        Returns how many new ids were created.

        Example:
            >>> tokenizer.add_special_tokens({"additional_special_tokens": ["<ent>"]})  # doctest: +SKIP
            1
        """
        if not special_tokens_dict:
            return 0
        added = []
        for key, value in special_tokens_dict.items():
            if key not in SPECIAL_TOKENS_ATTRIBUTES:
                raise ValueError(f"Key {key!r} is not a special token; expected one of {SPECIAL_TOKENS_ATTRIBUTES}")
            if key == "additional_special_tokens":
                if not isinstance(value, (list, tuple)):
                    raise ValueError(f"additional_special_tokens must be a list or tuple of tokens, got {value!r}")
                tokens = [token_content(t) for t in value]
                if replace_additional_special_tokens:
                    self.additional_special_tokens = tokens
                else:
                    self.additional_special_tokens += [t for t in tokens if t not in self.additional_special_tokens]
                added += tokens
            else:
                if not isinstance(value, str) and not hasattr(value, "content"):
                    raise ValueError(f"Special token {key} must be a str or AddedToken, got {value!r}")
                setattr(self, key, token_content(value))
                added.append(token_content(value))
        return self._add(added, special=True)

    def _add(self, tokens, special):
        """Registers tokens (ids continue after the largest id); returns the number of new ids."""
        flags = special if isinstance(special, list) else [special] * len(tokens)
        fresh = []
        for token, is_special in zip(tokens, flags):
            if not token:
                raise ValueError(f"Cannot add an empty token (got {token!r})")
            if is_special:
                self._special_added.add(token)
            if token in self.added_tokens_encoder:
                continue
            if token in self.vocab:
                index = self.vocab[token]
            else:
                index = max([len(self.vocab) - 1, *self.added_tokens_decoder]) + 1
                fresh.append(token)
            self.added_tokens_encoder[token] = index
            self.added_tokens_decoder[index] = token
        self._on_tokens_added(tokens, flags)
        return len(fresh)

    def _on_tokens_added(self, tokens, special_flags):
        """Hook for subclasses; the tokens are already in `added_tokens_encoder`."""

    def _split_added_tokens(self, text):
        """Splits text around added and special tokens: [(piece, is_added_token)].

        Special tokens match exactly; other added tokens ignore case when `do_lower_case`.
        """

        special = set(self.all_special_tokens)
        tokens = sorted(special | set(self.added_tokens_encoder), key=len, reverse=True)
        if not tokens:
            return [(text, False)] if text else []
        fold = "(?i:{})" if getattr(self, "do_lower_case", False) else "{}"
        parts = [
            re.escape(t) if t in special or t in self._special_added else fold.format(re.escape(t)) for t in tokens
        ]
        out, pos = [], 0
        for m in re.finditer("|".join(parts), text):
            if m.start() > pos:
                out.append((text[pos : m.start()], False))
            token = m.group(0)
            out.append((token if token in self.added_tokens_encoder else token.lower(), True))
            pos = m.end()
        if pos < len(text):
            out.append((text[pos:], False))
        return out

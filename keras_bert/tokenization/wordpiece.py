"""Greedy longest-match-first WordPiece, pure Python."""

from keras_bert.tokenization.vocab import load_vocab  # noqa: F401  (its former home; kept importable)


class WordpieceTokenizer:
    """Splits one word into vocabulary pieces; continuation pieces get `##`.

    A word longer than `max_input_chars_per_word` characters, or one that
    cannot be covered by vocabulary pieces, becomes the single `unk_token`.
    """

    def __init__(self, vocab, unk_token="[UNK]", max_input_chars_per_word=100):
        self.vocab = vocab
        self.unk_token = unk_token
        self.max_input_chars_per_word = max_input_chars_per_word

    def tokenize_word(self, word):
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            else:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text):
        return [p for word in text.split() for p in self.tokenize_word(word)]

"""The words of code and prose, for themes and for how alike files read: identifier words less
stop words, weighed by TF-IDF."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from vjepa_core.paths import identifier_words

MAX_VOCAB = 3000  # columns of a TF-IDF matrix: the most frequent terms
_STOPWORD_TEXT = """
a an the and or not of to in on at by for from with as is are was were be been it its this that these those
if else elif then than when while do done for foreach each return returns yield def class func function fn
let var const val self this super none null nil true false new delete import from export default package
module use using namespace public private protected static final void int str string bool float double char
long short byte unsigned signed struct enum impl trait interface type typeof instanceof extends implements
async await try catch except finally raise throw throws pass break continue case switch match where
get set put has can will should would may might must also just into out about over under more most some any all
print println printf log value values item items data args kwargs arg param params result results obj object
list dict map tuple array len size init main test tests self cls todo fixme note see
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def terms(source: str) -> list[str]:
    """Words of code and prose: identifiers split at camelCase and snake_case, lowercased."""
    return [w for w in identifier_words(source) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS]


def tfidf(docs: dict[str, list[str]], max_vocab: int = MAX_VOCAB) -> tuple[list[str], list[str], np.ndarray]:
    """(keys, vocabulary, L2-normalised TF-IDF matrix [docs, vocab]) with sublinear tf."""
    keys = sorted(docs)
    df: Counter[str] = Counter()
    for k in keys:
        df.update(set(docs[k]))
    n = len(keys)
    # Terms in one document say nothing about similarity; terms in almost all say little.
    ranked = sorted(df.items(), key=lambda tc: (-tc[1], tc[0]))  # by name on ties: the same every run
    vocab = [t for t, c in ranked if c >= 2 and c <= max(2, 0.8 * n)][:max_vocab]
    col = {t: i for i, t in enumerate(vocab)}
    m = np.zeros((n, len(vocab)), dtype=np.float32)
    for i, k in enumerate(keys):
        for t, c in Counter(docs[k]).items():
            j = col.get(t)
            if j is not None:
                m[i, j] = 1.0 + math.log(c)
    if vocab:
        idf = np.log((1 + n) / (1 + np.array([df[t] for t in vocab], dtype=np.float32))) + 1.0
        m *= idf
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m /= np.maximum(norms, 1e-12)
    return keys, vocab, m

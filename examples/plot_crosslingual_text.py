"""
Cross-lingual sentiment from raw text
=====================================

A sentiment classifier for German book reviews, with 10 labelled German reviews per
class. English is the data-rich domain: 1000 labelled English reviews. Some German
reviews also come with their English (machine) translation: these are the *pairs* that
connect the two languages, whose vocabularies share no feature.

DATN learns from raw documents when each domain has a preprocessor that turns them into
features: here a :class:`~sklearn.feature_extraction.text.TfidfVectorizer` per language,
given as ``source_preprocessor`` (English) and ``target_preprocessor`` (German). Every
input of ``fit``, and the input of ``predict``, is then a list of strings.
"""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skdatn import DATNClassifier, Domain, Pairs
from skdatn.datasets import load_webis_cls10_books

# %%
# Documents from a real data set's vocabulary
# -------------------------------------------
# The Webis-CLS-10 corpus of Amazon reviews (Prettenhofer & Stein, 2010) is distributed
# processed: each review is a bag of lower-cased tokens with their counts (numbers
# become ``<num>``). :func:`~skdatn.datasets.load_webis_cls10_books` loads its books
# slice as word-count matrices: 800 German reviews (view ``"de"``) with their English
# translations (view ``"en"``, row i translates German row i), 1000 labelled English
# reviews seen in English only (``unpaired_views["en"]``), and the token of every
# column (``vocabularies``).
#
# We turn every row of counts back into a document: each token written as many times
# as it occurs, the tokens in the order of the vocabulary. So these are not the
# original reviews but documents built from their vocabulary and word counts; the word
# order is lost, which a bag-of-words model such as tf-idf ignores anyway.
data = load_webis_cls10_books()


def to_documents(counts, vocabulary):
    """Turn rows of word counts into strings of space-separated tokens.

    Parameters
    ----------
    counts : sparse matrix of shape (n_documents, n_words)
        Word counts, one row per document.
    vocabulary : ndarray of shape (n_words,)
        The token of each column.

    Returns
    -------
    documents : list of str
        One string per row, each token repeated by its count, tokens in column order.
    """
    counts = counts.tocsr()
    counts.sort_indices()
    documents = []
    for start, end in zip(counts.indptr[:-1], counts.indptr[1:], strict=True):
        tokens = vocabulary[counts.indices[start:end]]
        repeats = counts.data[start:end].astype(int)
        documents.append(" ".join(np.repeat(tokens, repeats)))
    return documents


english_source = to_documents(data.unpaired_views["en"], data.vocabularies["en"])
y_source = data.unpaired_target["en"]
german = to_documents(data.views["de"], data.vocabularies["de"])
english = to_documents(data.views["en"], data.vocabularies["en"])
y = data.target  # sentiment of the German reviews: 0 negative, 1 positive

print(len(english_source), "labelled English reviews,", len(german), "German reviews")
print("the middle of the first German document, in the vocabulary's order:")
words = german[0].split()
middle = len(words) // 2
print("... " + " ".join(words[middle : middle + 12]) + " ...")

# %%
# Splitting the German reviews
# ----------------------------
# The 800 German reviews are cut into four disjoint sets: 10 labelled reviews per class
# (the target's training rows), 400 reviews whose English translation is known (the
# pairs; their labels are not used), 130 unlabelled reviews, and the remaining 250
# reviews to test on.
rng = np.random.default_rng(0)
order = rng.permutation(len(y))
labelled = np.concatenate([order[y[order] == c][:10] for c in (0, 1)])
rest = rng.permutation(np.setdiff1d(order, labelled))
test, paired, unlabelled = rest[:250], rest[250:650], rest[650:]


def pick(documents, rows):
    """The documents at the positions ``rows``, as a list."""
    return [documents[i] for i in rows]


print(
    f"labelled: {len(labelled)}, pairs: {len(paired)}, "
    f"unlabelled: {len(unlabelled)}, test: {len(test)}"
)


# %%
# DATN on raw documents
# ---------------------
# Each language gets its own vectoriser. The documents are tokens separated by
# spaces, so ``token_pattern=r"\S+"`` keeps every token as the corpus wrote it
# (``<num>``, ``!``...); ``max_features`` keeps the 2000 most frequent tokens of each
# language, which bounds the width of the networks. DATN clones each vectoriser and
# fits it on all the documents of its language given to ``fit``: the English source
# reviews and the English side of the pairs, or the labelled German reviews, the German
# side of the pairs and the unlabelled German reviews. ``n_iter_no_change=None`` trains
# exactly the given numbers of epochs, small enough for a quick example.
def vectorizer():
    """A tf-idf vectoriser that keeps the corpus's tokens as they are."""
    return TfidfVectorizer(token_pattern=r"\S+", max_features=2000)


datn = DATNClassifier(
    hidden_layer_sizes=(64, 32),
    source_preprocessor=vectorizer(),
    target_preprocessor=vectorizer(),
    pretrain_epochs=100,
    finetune_epochs=30,
    n_iter_no_change=None,
    random_state=0,
)
datn.fit(
    pick(german, labelled),
    y[labelled],
    X_source=Domain(english_source, y_source),
    pairs=Pairs(pick(english, paired), pick(german, paired)),
    X_unlabeled=Domain(pick(german, unlabelled)),
)
print("German vocabulary kept:", len(datn.target_preprocessor_.vocabulary_))

# %%
# The same raw text for a target-only baseline
# --------------------------------------------
# A tf-idf logistic regression sees the 20 labelled German reviews alone. Both models
# predict on the list of German test documents.
baseline = make_pipeline(TfidfVectorizer(token_pattern=r"\S+"), LogisticRegression())
baseline.fit(pick(german, labelled), y[labelled])

X_test, y_test = pick(german, test), y[test]
print("predictions for the first five test reviews:", datn.predict(X_test[:5]))
print(
    f"tf-idf + logistic regression (German only): {baseline.score(X_test, y_test):.3f}"
)
print(f"DATN (English source, pairs, German):        {datn.score(X_test, y_test):.3f}")

# %%
# The English reviews, reached through the pairs, lift the accuracy well above what the
# 20 labelled German reviews give on their own. With one split and 250 test reviews, a
# score moves by a few hundredths from one split to the next.

"""Typical mistakes in 08-embeddings, each a small edit of the reference solution.

The tests submit each one as its own student and require it to lose points on its
own exercise and nowhere else; the demo's ``typical-mistakes`` student makes the
ones listed in ``DEMO`` together.  ``VARIANTS`` are correct answers written another
way than the reference; each is submitted as its own student and must score full marks.  This file is instructor material: nbgrader's
``CourseDirectory.ignore`` keeps it out of ``release/``.
"""

from course.grader.submissions import Mistake, Variant

MISTAKES = [
    # build_vocab
    Mistake("vocab-sorted", "build_vocab",
            "    return vocab\n",
            "    words = sorted(w for w in vocab if w not in ('<pad>', '<unk>'))\n"
            "    return {'<pad>': 0, '<unk>': 1, **{w: i + 2 for i, w in enumerate(words)}}\n",
            "sorts the words alphabetically instead of keeping first appearance"),
    Mistake("vocab-no-lower", "build_vocab",
            "for word in sentence.lower().split():", "for word in sentence.split():",
            "forgets lower(), so 'It' and 'it' become two words"),
    Mistake("vocab-specials-swapped", "build_vocab",
            'vocab = {"<pad>": 0, "<unk>": 1}', 'vocab = {"<unk>": 0, "<pad>": 1}',
            "swaps the reserved indices: <pad> must be 0"),
    # encode
    Mistake("encode-pads-front", "encode",
            'ids += [vocab["<pad>"]] * (n - len(ids))',
            'ids = [vocab["<pad>"]] * (n - len(ids)) + ids',
            "pads at the front instead of the end"),
    Mistake("encode-unknown-as-pad", "encode",
            'vocab.get(word, vocab["<unk>"])', 'vocab.get(word, vocab["<pad>"])',
            "maps unknown words to <pad> instead of <unk>"),
    Mistake("encode-keeps-last-words", "encode",
            "words = sentence.lower().split()[:n]", "words = sentence.lower().split()[-n:]",
            "cuts a long sentence to its last n words instead of its first"),
    Mistake("encode-no-lower", "encode",
            "words = sentence.lower().split()[:n]", "words = sentence.split()[:n]",
            "forgets lower(), so capitalised words become <unk>"),
    # embed
    Mistake("embed-sums-words", "embed",
            "return E[idx].reshape(t, n * E.shape[1])", "return E[idx].sum(axis=1)",
            "adds the word vectors (a bag of words) instead of concatenating them"),
    Mistake("embed-interleaved", "embed",
            "return E[idx].reshape(t, n * E.shape[1])",
            "return E[idx].transpose(0, 2, 1).reshape(t, n * E.shape[1])",
            "concatenates feature by feature instead of word by word"),
    # embed_backward
    Mistake("embed-backward-overwrites", "embed_backward",
            "np.add.at(dE, idx.ravel(), dX.reshape(t * n, e))",
            "dE[idx.ravel()] = dX.reshape(t * n, e)",
            "assigns instead of accumulating: a repeated word keeps only its last gradient"),
    Mistake("embed-backward-buffered-add", "embed_backward",
            "np.add.at(dE, idx.ravel(), dX.reshape(t * n, e))",
            "dE[idx.ravel()] += dX.reshape(t * n, e)",
            "uses fancy-index +=, which does not accumulate repeated indices"),
    Mistake("embed-backward-divides-by-t", "embed_backward",
            "np.add.at(dE, idx.ravel(), dX.reshape(t * n, e))",
            "np.add.at(dE, idx.ravel(), dX.reshape(t * n, e) / max(t, 1))",
            "divides by t again, although dX is already the gradient of the batch mean"),
    # network_loss_and_grads
    Mistake("network-dX-skips-relu", "network_loss_and_grads",
            '"dX": dk @ H.T', '"dX": dh @ H.T',
            "backpropagates to X through H but skips the relu mask"),
    Mistake("network-dX-of-the-sum", "network_loss_and_grads",
            '"dX": dk @ H.T', '"dX": t * (dk @ H.T)',
            "derives dX of the summed loss: t times the gradient of the batch mean"),
    Mistake("network-sum-not-mean", "network_loss_and_grads",
            "dz = dz / t  # (t, m), gradient of the mean", "dz = dz  # (t, m)",
            "returns gradients of the summed loss, t times too large"),
    Mistake("network-relu-grad-strict", "network_loss_and_grads",
            "dk = dh * (k >= 0)", "dk = dh * (k > 0)",
            "uses relu'(0) = 0 instead of the course's relu'(0) = 1"),
    # cosine_similarity
    Mistake("cosine-dot-only", "cosine_similarity",
            "return float(E[i] @ E[j] / norms)", "return float(E[i] @ E[j])",
            "forgets to normalise: a dot product is not a cosine"),
    Mistake("cosine-one-norm", "cosine_similarity",
            "norms = np.linalg.norm(E[i]) * np.linalg.norm(E[j])", "norms = np.linalg.norm(E[i]) ** 2",
            "divides by the first vector's norm twice"),
    # nearest_words
    Mistake("nearest-includes-itself", "nearest_words",
            "others = [int(j) for j in order if j != i]", "others = [int(j) for j in order]",
            "counts the word itself as its own nearest neighbour"),
    Mistake("nearest-least-similar-first", "nearest_words",
            'order = np.argsort(-sims, kind="stable")', 'order = np.argsort(sims, kind="stable")',
            "sorts ascending: least similar first"),
    Mistake("nearest-ties-upward", "nearest_words",
            'order = np.argsort(-sims, kind="stable")', 'order = np.argsort(sims, kind="stable")[::-1]',
            "reverses an ascending sort, which breaks ties towards the higher index"),
    Mistake("nearest-dot-product", "nearest_words",
            "norms = np.linalg.norm(E, axis=1) * np.linalg.norm(E[i])  # (|V|,)",
            "norms = np.ones(len(E))",
            "ranks by dot product instead of cosine, so long vectors win"),
]

# Correct answers that compute differently from the reference: each must score full marks.
VARIANTS = [
    Variant("nearest-normalise-rows-first", "nearest_words",
            "    norms = np.linalg.norm(E, axis=1) * np.linalg.norm(E[i])  # (|V|,)\n"
            "    sims = np.divide(E @ E[i], norms, out=np.zeros(len(E)), where=norms > 0)\n",
            "    norms = np.linalg.norm(E, axis=1)  # (|V|,)\n"
            "    unit = np.divide(E, norms[:, None], out=np.zeros(E.shape), where=norms[:, None] > 0)\n"
            "    sims = unit @ unit[i]  # (|V|,)\n",
            "normalises every row to length 1 first, then takes dot products: the spec's cosine, "
            "rounded differently, so only ties that are exact can be asked to break one way"),
]

# The demo's "typical-mistakes" student.
DEMO = ["encode-pads-front", "embed-backward-overwrites", "nearest-includes-itself"]

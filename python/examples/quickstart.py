"""README's Python lines: features of the built-in corpus, a model, 2 bits, a prediction."""

import numpy as np
import ser_adaptive as sa

corpus = sa.demo_corpus("small")                     # 210 synthetic utterances, 7 emotions
X = np.stack([sa.extract(u["samples"], u["sr"]) for u in corpus])
y = [u["label"] for u in corpus]
model = sa.train(X, y, sr=16000, seed=0)             # the poster's MLP, seeded
small = model.quantize(bits=2)                       # 1/16 of the f32 model
print(small)
print(small.recognizer().predict(corpus[0]["samples"], sr=16000))

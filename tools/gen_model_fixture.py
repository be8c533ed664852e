#!/usr/bin/env python3
"""gen_model_fixture.py — numpy float64 reference for Gradus's BLOOM-style decoder (issue 5).

An implementation independent of the Swift code: whole-tensor numpy (einsum, -inf causal mask,
BLOOM's ALiBi form "slope * key position" rather than Gradus's distance form, explicit manual
backward), self-checked here against central finite differences before anything is written.

Writes Tests/ModelTests/Fixtures/tiny_model.json and a copy in Tests/TrainingTests/Fixtures:
  magic, version, config, batch (B, T, inputs, targets, loss_mask), params (flat, in the
  ParameterLayout order documented in Sources/Model/ParameterLayout.swift), logits (B,T,V), loss,
  grads (flat), and the losses of the first 10 AdamW steps (with global-norm clipping) under the
  hyper-parameters stored in "adamw".

Usage: python3 tools/gen_model_fixture.py   (numpy only; deterministic, seed in the fixture)
"""
import json
import math
import os
import numpy as np

SEED = 20261129
CFG = dict(layers=2, d_model=12, heads=3, context=8, vocab=20, mlp_ratio=4,
           layer_norm_epsilon=1e-5, init_std=0.3)
B, T = 2, 7
ADAMW = dict(lr=3e-2, beta1=0.9, beta2=0.95, epsilon=1e-8, weight_decay=0.1, clip=1.0, steps=10)


def alibi_slopes(n):
    """BLOOM build_alibi_tensor slopes."""
    p = 2 ** math.floor(math.log2(n))
    base = 2.0 ** (-(2.0 ** -(math.log2(p) - 3)))
    s = [base ** i for i in range(1, p + 1)]
    if p != n:
        eb = 2.0 ** (-(2.0 ** -(math.log2(2 * p) - 3)))
        rem = min(p, n - p)
        s += [eb ** i for i in range(1, 1 + 2 * rem, 2)]
    return np.array(s)


def names(L):
    out = [("wte", None), ("embLnW", None), ("embLnB", None)]
    for l in range(L):
        out += [(n, l) for n in ["ln1W", "ln1B", "qkvW", "qkvB", "projW", "projB", "ln2W", "ln2B",
                                 "fcW", "fcB", "fcProjW", "fcProjB"]]
    return out + [("lnfW", None), ("lnfB", None)]


def init_params(rng):
    C, V, H, L = CFG["d_model"], CFG["vocab"], CFG["d_model"] * CFG["mlp_ratio"], CFG["layers"]
    shapes = {"wte": (V, C), "embLnW": (C,), "embLnB": (C,), "lnfW": (C,), "lnfB": (C,),
              "ln1W": (C,), "ln1B": (C,), "qkvW": (3 * C, C), "qkvB": (3 * C,), "projW": (C, C),
              "projB": (C,), "ln2W": (C,), "ln2B": (C,), "fcW": (H, C), "fcB": (H,),
              "fcProjW": (C, H), "fcProjB": (C,)}
    P = {}
    for n, l in names(L):
        s = shapes[n]
        if len(s) == 2:
            P[(n, l)] = rng.normal(0, CFG["init_std"], s)
        elif n.endswith("W"):  # LayerNorm gains near 1, perturbed so the test exercises them
            P[(n, l)] = 1 + 0.1 * rng.normal(size=s)
        else:
            P[(n, l)] = 0.1 * rng.normal(size=s)
    return P


def ln_fwd(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return xhat * w + b, (xhat, np.sqrt(var + eps))


def ln_bwd(dy, cache, w):
    xhat, sd = cache
    C = xhat.shape[-1]
    dxhat = dy * w
    dx = (C * dxhat - dxhat.sum(-1, keepdims=True) - xhat * (dxhat * xhat).sum(-1, keepdims=True)) / (C * sd)
    return dx, (dy * xhat).reshape(-1, C).sum(0), dy.reshape(-1, C).sum(0)


K_GELU = math.sqrt(2 / math.pi)


def gelu(x):
    return 0.5 * x * (1 + np.tanh(K_GELU * (x + 0.044715 * x ** 3)))


def gelu_grad(x):
    th = np.tanh(K_GELU * (x + 0.044715 * x ** 3))
    return 0.5 * (1 + th) + 0.5 * x * (1 - th ** 2) * K_GELU * (1 + 3 * 0.044715 * x ** 2)


def attn_fwd(qkv, NH, slopes):
    Bb, Tt, C3 = qkv.shape
    C = C3 // 3
    hs = C // NH
    q, k, v = [qkv[..., i * C:(i + 1) * C].reshape(Bb, Tt, NH, hs).transpose(0, 2, 1, 3) for i in range(3)]
    s = np.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(hs)
    s = s + slopes[None, :, None, None] * np.arange(Tt)[None, None, None, :]  # BLOOM: slope * key pos
    s = np.where(np.tril(np.ones((Tt, Tt), bool)), s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    a = np.exp(s)
    a /= a.sum(-1, keepdims=True)
    y = np.einsum("bhij,bhjd->bhid", a, v).transpose(0, 2, 1, 3).reshape(Bb, Tt, C)
    return y, (q, k, v, a)


def attn_bwd(dy, cache, NH):
    q, k, v, a = cache
    Bb, _, Tt, hs = q.shape
    dyh = dy.reshape(Bb, Tt, NH, hs).transpose(0, 2, 1, 3)
    dv = np.einsum("bhij,bhid->bhjd", a, dyh)
    da = np.einsum("bhid,bhjd->bhij", dyh, v)
    ds = a * (da - (a * da).sum(-1, keepdims=True)) / math.sqrt(hs)
    dq = np.einsum("bhij,bhjd->bhid", ds, k)
    dk = np.einsum("bhij,bhid->bhjd", ds, q)
    return np.concatenate([t.transpose(0, 2, 1, 3).reshape(Bb, Tt, NH * hs) for t in (dq, dk, dv)], -1)


def forward_backward(P, inputs, targets, mask, want_grads=True):
    L, NH, eps = CFG["layers"], CFG["heads"], CFG["layer_norm_epsilon"]
    slopes = alibi_slopes(NH)
    caches = []
    e = P[("wte", None)][inputs]
    x, c_emb = ln_fwd(e, P[("embLnW", None)], P[("embLnB", None)], eps)
    for l in range(L):
        h1, c1 = ln_fwd(x, P[("ln1W", l)], P[("ln1B", l)], eps)
        qkv = h1 @ P[("qkvW", l)].T + P[("qkvB", l)]
        y, ca = attn_fwd(qkv, NH, slopes)
        x2 = x + y @ P[("projW", l)].T + P[("projB", l)]
        h2, c2 = ln_fwd(x2, P[("ln2W", l)], P[("ln2B", l)], eps)
        f = h2 @ P[("fcW", l)].T + P[("fcB", l)]
        g = gelu(f)
        x3 = x2 + g @ P[("fcProjW", l)].T + P[("fcProjB", l)]
        caches.append((x, h1, c1, ca, y, x2, h2, c2, f, g))
        x = x3
    hf, cf = ln_fwd(x, P[("lnfW", None)], P[("lnfB", None)], eps)
    logits = hf @ P[("wte", None)].T
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, np.where(mask > 0, targets, 0)[..., None], -1)[..., 0]
    loss = (nll * mask).sum() / mask.sum()
    if not want_grads:
        return logits, loss, None
    G = {key: np.zeros_like(val) for key, val in P.items()}
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, np.where(mask > 0, targets, 0)[..., None],
                      np.take_along_axis(dlogits, np.where(mask > 0, targets, 0)[..., None], -1) - 1, -1)
    dlogits *= (mask / mask.sum())[..., None]
    G[("wte", None)] += dlogits.reshape(-1, dlogits.shape[-1]).T @ hf.reshape(-1, hf.shape[-1])
    dhf = dlogits @ P[("wte", None)]
    dx, G[("lnfW", None)], G[("lnfB", None)] = ln_bwd(dhf, cf, P[("lnfW", None)])
    for l in reversed(range(L)):
        xin, h1, c1, ca, y, x2, h2, c2, f, g = caches[l]
        flat = lambda t: t.reshape(-1, t.shape[-1])
        G[("fcProjW", l)] = flat(dx).T @ flat(g); G[("fcProjB", l)] = flat(dx).sum(0)
        df = (dx @ P[("fcProjW", l)]) * gelu_grad(f)
        G[("fcW", l)] = flat(df).T @ flat(h2); G[("fcB", l)] = flat(df).sum(0)
        dx2_ln, G[("ln2W", l)], G[("ln2B", l)] = ln_bwd(df @ P[("fcW", l)], c2, P[("ln2W", l)])
        dx2 = dx + dx2_ln
        G[("projW", l)] = flat(dx2).T @ flat(y); G[("projB", l)] = flat(dx2).sum(0)
        dqkv = attn_bwd(dx2 @ P[("projW", l)], ca, NH)
        G[("qkvW", l)] = flat(dqkv).T @ flat(h1); G[("qkvB", l)] = flat(dqkv).sum(0)
        dxin_ln, G[("ln1W", l)], G[("ln1B", l)] = ln_bwd(dqkv @ P[("qkvW", l)], c1, P[("ln1W", l)])
        dx = dx2 + dxin_ln
    de, G[("embLnW", None)], G[("embLnB", None)] = ln_bwd(dx, c_emb, P[("embLnW", None)])
    np.add.at(G[("wte", None)], inputs.reshape(-1), de.reshape(-1, de.shape[-1]))
    return logits, loss, G


def flatten(D):
    return np.concatenate([D[key].reshape(-1) for key in names(CFG["layers"])])


def self_check(P, inputs, targets, mask, rng):
    """Central differences on a random subset of every tensor: the reference must be right."""
    _, _, G = forward_backward(P, inputs, targets, mask)
    h = 1e-6
    for key in names(CFG["layers"]):
        flatp = P[key].reshape(-1)
        for i in rng.choice(flatp.size, size=min(4, flatp.size), replace=False):
            old = flatp[i]
            flatp[i] = old + h; lp = forward_backward(P, inputs, targets, mask, False)[1]
            flatp[i] = old - h; lm = forward_backward(P, inputs, targets, mask, False)[1]
            flatp[i] = old
            fd, an = (lp - lm) / (2 * h), G[key].reshape(-1)[i]
            assert abs(fd - an) <= 1e-7 + 1e-5 * abs(fd), (key, i, fd, an)


def adamw_losses(P, inputs, targets, mask):
    P = {k: v.copy() for k, v in P.items()}
    m = {k: np.zeros_like(v) for k, v in P.items()}
    s = {k: np.zeros_like(v) for k, v in P.items()}
    a = ADAMW
    out = []
    for t in range(1, a["steps"] + 1):
        _, loss, G = forward_backward(P, inputs, targets, mask)
        out.append(float(loss))
        norm = math.sqrt(sum(float((g ** 2).sum()) for g in G.values()))
        coef = min(1.0, a["clip"] / (norm + 1e-6))
        for k in P:
            g = G[k] * coef
            if P[k].ndim == 2:
                P[k] *= 1 - a["lr"] * a["weight_decay"]
            m[k] = a["beta1"] * m[k] + (1 - a["beta1"]) * g
            s[k] = a["beta2"] * s[k] + (1 - a["beta2"]) * g * g
            mhat = m[k] / (1 - a["beta1"] ** t)
            vhat = s[k] / (1 - a["beta2"] ** t)
            P[k] -= a["lr"] * mhat / (np.sqrt(vhat) + a["epsilon"])
    return out


def main():
    rng = np.random.default_rng(SEED)
    P = init_params(rng)
    V = CFG["vocab"]
    inputs = rng.integers(0, V, size=(B, T))
    targets = rng.integers(0, V, size=(B, T))
    mask = np.ones((B, T))
    mask[0, 5] = 0; mask[1, 0] = 0; mask[1, 6] = 0
    targets[1, 6] = -1  # padding target, ignored through the mask
    self_check(P, inputs, targets, mask, rng)
    logits, loss, G = forward_backward(P, inputs, targets, mask)
    fixture = {
        "magic": "gradus-model-fixture", "version": 1, "seed": SEED, "config": CFG,
        "batch": {"B": B, "T": T, "inputs": inputs.reshape(-1).tolist(),
                  "targets": targets.reshape(-1).tolist(), "loss_mask": mask.reshape(-1).tolist()},
        "alibi_slopes": alibi_slopes(CFG["heads"]).tolist(),
        "params": flatten(P).tolist(), "logits": logits.reshape(-1).tolist(), "loss": float(loss),
        "grads": flatten(G).tolist(), "adamw": ADAMW,
        "adamw_losses": adamw_losses(P, inputs, targets, mask),
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for sub in ["Tests/ModelTests/Fixtures", "Tests/TrainingTests/Fixtures"]:
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        with open(os.path.join(root, sub, "tiny_model.json"), "w") as fh:
            json.dump(fixture, fh)
    print(f"loss {loss:.6f}, params {fixture['params'].__len__()}, adamw {fixture['adamw_losses']}")


if __name__ == "__main__":
    main()

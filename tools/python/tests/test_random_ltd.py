"""gradus.torch.RandomLTD on Hugging Face BLOOM (ALiBi), GPT-2 (learned positions) and Llama (RoPE).

Tiny random-init models (nothing is downloaded). References are computed independently of the
hooks: the unwrapped model (r = T, eval), or the layer called by hand on the gathered subsequence
with positions and masks built here from the kept indices (r < T).
"""

import copy

import pytest
import torch
from transformers import (BloomConfig, BloomForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig,
                          LlamaForCausalLM)

from gradus.schedule import RandomLTDSchedule
from gradus.torch import RandomLTD

VOCAB, B, T = 64, 2, 12
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def build(family, device="cpu"):
    """(model, layer stack) of a 4-layer random-init decoder, dropout off."""
    torch.manual_seed(0)
    if family == "bloom":
        model = BloomForCausalLM(BloomConfig(vocab_size=VOCAB, hidden_size=16, n_layer=4, n_head=2))
        stack = model.transformer.h
    elif family == "gpt2":
        model = GPT2LMHeadModel(GPT2Config(vocab_size=VOCAB, n_embd=16, n_layer=4, n_head=2, n_positions=32,
                                           resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                           bos_token_id=0, eos_token_id=0))
        stack = model.transformer.h
    else:
        model = LlamaForCausalLM(LlamaConfig(vocab_size=VOCAB, hidden_size=16, intermediate_size=32,
                                             num_hidden_layers=4, num_attention_heads=2, num_key_value_heads=2,
                                             max_position_embeddings=32))
        stack = model.model.layers
    return model.to(device).train(), stack


def batch(device="cpu", padded=False):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, VOCAB, (B, T), generator=g).to(device)
    mask = torch.ones(B, T, dtype=torch.long, device=device)
    if padded:
        mask[1, :3] = 0  # left padding in row 1
    return ids, mask


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("family", ["bloom", "gpt2", "llama"])
def test_full_length_routing_equals_dense_logits_and_gradients(family, padded, device, monkeypatch):
    model, stack = build(family, device)
    dense = copy.deepcopy(model)
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(T, T, 10, 4))  # r = T
    decisions = []
    monkeypatch.setattr(ltd, "_routes", lambda r, length: decisions.append((r, length)) or True)
    ids, mask = batch(device, padded)
    out = model(ids, attention_mask=mask, labels=ids)
    ref = dense(ids, attention_mask=mask, labels=ids)
    out.loss.backward()
    ref.loss.backward()
    assert decisions.count((T, T)) == 3  # the counter and both dropping layers went through gather/scatter
    assert torch.equal(out.logits, ref.logits)
    for (name, p), q in zip(model.named_parameters(), dense.parameters()):
        assert torch.equal(p.grad, q.grad), name


def capture(stack, layer):
    """Records the full input (pre-hook registered before RandomLTD's) and the scattered output
    (forward hook registered after RandomLTD's) of ``stack[layer]``."""
    seen = {}

    def before(module, args, kwargs):
        seen["in"] = (args[0] if args else kwargs["hidden_states"]).detach().clone()

    stack[layer].register_forward_pre_hook(before, with_kwargs=True)
    return seen


def add_after(stack, layer, seen):
    def after(module, args, output):
        seen["out"] = (output[0] if isinstance(output, tuple) else output).detach().clone()
    stack[layer].register_forward_hook(after)


def kept_indices(seen, r):
    """The kept positions, read off the output: a dropped token leaves the layer unchanged."""
    changed = (seen["out"] != seen["in"]).any(-1)
    assert changed.sum(1).tolist() == [r] * B
    return torch.stack([row.nonzero().flatten() for row in changed])


def bloom_reference(layer, sub, pos, key_mask):
    """BLOOM's block on the kept rows: ALiBi slope·position of each kept key (slopes 2^-4, 2^-8 for
    2 heads), additive causal mask over the kept order plus padded keys."""
    slopes = torch.tensor([2.0 ** -4, 2.0 ** -8], dtype=sub.dtype, device=sub.device)
    alibi = (slopes[None, :, None, None] * pos[:, None, None, :].to(sub.dtype)).reshape(B * 2, 1, -1)
    r = sub.shape[1]
    blocked = torch.ones(r, r, dtype=torch.bool, device=sub.device).triu(1)[None, None] | (key_mask[:, None, None, :] == 0)
    mask = torch.zeros(B, 1, r, r, dtype=sub.dtype, device=sub.device).masked_fill(blocked, torch.finfo(sub.dtype).min)
    return layer(sub, alibi=alibi, attention_mask=mask, layer_past=None, use_cache=False)[0]


def llama_reference(model, layer, sub, pos):
    """Llama's layer on the kept rows: RoPE angles from the kept tokens' original positions, causal."""
    cos, sin = model.model.rotary_emb(sub, position_ids=pos)
    return layer(sub, attention_mask=None, position_embeddings=(cos, sin), position_ids=pos)


@pytest.mark.parametrize("family", ["bloom", "gpt2", "llama"])
def test_kept_tokens_equal_the_layer_run_by_hand_on_the_subsequence(family):
    r = 5
    model, stack = build(family)
    seen = capture(stack, 2)
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(r, T, 1000, 1))
    add_after(stack, 2, seen)
    ids, mask = batch()
    with torch.no_grad():
        model(ids)
        idx = kept_indices(seen, r)
        got, sub = (seen[k].gather(1, idx[:, :, None].expand(-1, -1, seen[k].shape[2])) for k in ("out", "in"))
        ltd.remove()  # the references below call the layer directly
        if family == "bloom":
            ref = bloom_reference(stack[2], sub, idx, torch.ones(B, r))
            wrong = bloom_reference(stack[2], sub, torch.arange(r).expand(B, r), torch.ones(B, r))
        elif family == "llama":
            ref = llama_reference(model, stack[2], sub, idx)
            wrong = llama_reference(model, stack[2], sub, torch.arange(r).expand(B, r))
        else:
            ref = stack[2](sub)
            ref = ref[0] if isinstance(ref, tuple) else ref
            wrong = None
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-6)
    if wrong is not None:  # the positions matter: the compacted positions 0..r-1 give other outputs
        assert not torch.allclose(got, wrong, rtol=1e-4, atol=1e-5)
    assert ltd.steps == 0


def test_bloom_padding_mask_and_alibi_follow_the_kept_tokens():
    r = 6
    model, stack = build("bloom")
    seen = capture(stack, 1)
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(r, T, 1000, 1))
    add_after(stack, 1, seen)
    ids, mask = batch(padded=True)
    with torch.no_grad():
        model(ids, attention_mask=mask)
        idx = kept_indices(seen, r)
        got, sub = (seen[k].gather(1, idx[:, :, None].expand(-1, -1, seen[k].shape[2])) for k in ("out", "in"))
        ltd.remove()
        # BLOOM's positions under padding: (cumsum(mask) − 1) · mask
        positions = ((mask.cumsum(1) - 1) * mask).gather(1, idx)
        ref = bloom_reference(stack[1], sub, positions, mask.gather(1, idx))
    real = mask.gather(1, idx).bool()  # rows of padding tokens are not compared
    torch.testing.assert_close(got[real], ref[real], rtol=1e-5, atol=1e-6)


def test_gpt2_learned_positions_are_added_before_the_first_layer_untouched():
    model, stack = build("gpt2")
    dense = copy.deepcopy(model)
    seen, ref_seen = capture(stack, 1), capture(dense.transformer.h, 1)
    RandomLTD(stack, [1, 2], RandomLTDSchedule(4, T, 1000, 1))
    ids, _ = batch()
    with torch.no_grad():
        model(ids)
        dense(ids)
    # the first dropping layer's full input (token + position embeddings through layer 0) is the dense one
    assert torch.equal(seen["in"], ref_seen["in"])


@pytest.mark.parametrize("family", ["bloom", "llama"])
def test_eval_mode_is_dense(family):
    model, stack = build(family)
    dense = copy.deepcopy(model).eval()
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(4, T, 1000, 1))
    ids, mask = batch(padded=True)
    with torch.no_grad():
        assert torch.equal(model.eval()(ids, attention_mask=mask).logits, dense(ids, attention_mask=mask).logits)
    assert ltd.consumed["tokens"] == 0  # eval forwards are not counted


def test_dropping_changes_training_outputs_and_state_dict_resumes_the_draws():
    model, stack = build("llama")
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(4, T, 1000, 1), seed=5)
    ids, mask = batch()
    keys = set(model.state_dict())
    ltd.step()
    saved = copy.deepcopy(ltd.state_dict())
    with torch.no_grad():
        first = model(ids).logits
        second = model(ids).logits
        ltd.load_state_dict(saved)
        replay = model(ids).logits
    assert not torch.equal(first, second)  # fresh draws per forward
    assert torch.equal(first, replay)      # the saved generator state replays them
    assert ltd.consumed == {"tokens": B * T, "layer_tokens": B * (T * 2 + 4 * 2),
                            "layer_averaged_tokens": B * ((T * 2 + 4 * 2) // 4)}
    assert set(model.state_dict()) == keys  # hooks only: the checkpoint keys are the model's own
    ltd.remove()
    with torch.no_grad():
        assert torch.equal(model(ids).logits, model(ids).logits)


def test_dropped_tokens_get_the_upstream_gradient_unchanged():
    model, stack = build("bloom")
    tensors = {}
    stack[2].register_forward_pre_hook(lambda m, args: tensors.update(x=args[0]) or args[0].retain_grad())
    RandomLTD(stack, [2], RandomLTDSchedule(4, T, 1000, 1))
    stack[2].register_forward_hook(lambda m, args, out: tensors.update(y=out[0]) or out[0].retain_grad())
    ids, _ = batch()
    model(ids, labels=ids).loss.backward()
    x, y = tensors["x"], tensors["y"]
    dropped = (x == y).all(-1)
    assert dropped.sum().item() == B * (T - 4)
    # identity at dropped positions; the layer's own gradient (not added to the identity) at kept ones
    assert torch.equal(x.grad[dropped], y.grad[dropped])
    assert not torch.allclose(x.grad[~dropped], y.grad[~dropped])


def test_refusals():
    _, stack = build("gpt2")
    sched = RandomLTDSchedule(4, T, 10, 2)
    with pytest.raises(ValueError, match="model_type 'encoder' is not supported yet"):
        RandomLTD(stack, [1, 2], sched, model_type="encoder")
    with pytest.raises(ValueError, match="first and last layers"):
        RandomLTD(stack, [0, 2], sched)
    with pytest.raises(ValueError, match="outside 0..<4"):
        RandomLTD(stack, [1, 7], sched, allow_edge_layers=True)
    with pytest.raises(ValueError, match="total_layer_num \\(6\\) != the number of layers in the stack \\(4\\)"):
        RandomLTD(stack, [1, 2], sched, total_layers=6)
    with pytest.raises(ValueError, match="seq_batch_dim"):
        RandomLTD(stack, [1], sched, hidden_state_order="seq_batch_dim")


class AddLayerNumber(torch.nn.Module):
    """A layer that adds 2^i to the tokens it processes, so a stack's output tells which layers kept which token."""

    def __init__(self, i):
        super().__init__()
        self.value = float(2 ** i)

    def forward(self, hidden_states):
        return hidden_states + self.value


def test_kept_subsets_are_uniform_and_independent_per_layer():
    rows, length, r = 4000, 16, 4
    stack = torch.nn.ModuleList(AddLayerNumber(i) for i in range(4)).train()
    RandomLTD(stack, [1, 2], RandomLTDSchedule(r, length, 1000, 1), seed=11)
    x = torch.zeros(rows, length, 1)
    for layer in stack:
        x = layer(x)
    code = x[..., 0].long() - 1 - 8  # layers 0 and 3 are dense: bits 1 and 2 say whether 1 and 2 kept
    kept1, kept2 = (code & 2) > 0, (code & 4) > 0
    for kept in (kept1, kept2):
        assert kept.sum(1).eq(r).all()
        freq = kept.double().mean(0)  # each position kept with probability r/T = 1/4
        assert (freq - r / length).abs().max() < 5 * (0.25 * 0.75 / rows) ** 0.5
    both = (kept1 & kept2).double().mean()  # independent layers: P(both) = (1/4)²
    assert abs(both - (r / length) ** 2) < 5 * ((1 / 16) * (15 / 16) / (rows * length)) ** 0.5

"""Options and branches of the classic backbones that the numerics tests
do not reach: dropout rates, the activation, 2D activation checkpointing,
and the training-mode forward and gradients against the oracle."""
import pytest
import torch
import torch.nn.functional as F
from official_layout import TINY_DEPTHS, TINY_S, official_state

import reference_uniformer as RU
from mmuniformer.models import UniFormer, UniFormer3D

SMALL_ARCH = dict(depths=(1, 1, 2, 1), embed_dims=(16, 32, 64, 64),
                  head_dim=16)


def double(state):
    return {k: v.double() if v.is_floating_point() else v
            for k, v in state.items()}


def dense_state():
    return double(official_state('det_small_backbone', depths=TINY_DEPTHS,
                                 prefix=''))


def _pair(**kwargs):
    """A model with the option and one without, same weights."""
    torch.manual_seed(0)
    plain = UniFormer(SMALL_ARCH, out_indices=(0, 1, 2, 3))
    model = UniFormer(SMALL_ARCH, out_indices=(0, 1, 2, 3), **kwargs)
    model.load_state_dict(plain.state_dict())
    return plain, model


def _train_outputs(model, x, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        return torch.cat([o.flatten() for o in model.train()(x)])


@pytest.mark.parametrize('option', ['drop_rate', 'attn_drop_rate'])
def test_dropout_rates_act_in_training_only(option):
    plain, model = _pair(**{option: 0.5})
    x = torch.randn(2, 3, 64, 64)
    # eval: the rate has no effect at all (checked first: training steps
    # update the BatchNorm statistics, differently once dropout acts)
    with torch.no_grad():
        for o, r in zip(model.eval()(x), plain.eval()(x)):
            torch.testing.assert_close(o, r)
    # training: random (two draws differ), unlike the same model without
    a, b = _train_outputs(model, x, 1), _train_outputs(model, x, 2)
    assert (a - b).abs().max() > 1e-3
    p1, p2 = _train_outputs(plain, x, 1), _train_outputs(plain, x, 2)
    torch.testing.assert_close(p1, p2)


def test_attn_drop_rate_drops_attention_weights_only():
    """attn_drop_rate alone leaves the local (conv) stages deterministic:
    the dropout sits in the attention of stages 3-4."""
    _, model = _pair(attn_drop_rate=0.5)
    x = torch.randn(2, 3, 64, 64)
    torch.manual_seed(1)
    with torch.no_grad():
        first = model.train()(x)
    torch.manual_seed(2)
    with torch.no_grad():
        second = model.train()(x)
    torch.testing.assert_close(first[0], second[0])
    torch.testing.assert_close(first[1], second[1])
    assert (first[2] - second[2]).abs().max() > 1e-3


def test_act_cfg_replaces_every_mlp_activation():
    """act_cfg=ReLU: the official function with ReLU in every MLP (float64
    against the oracle at 1e-8), and not the GELU model."""
    state = dense_state()
    model = UniFormer(TINY_S, act_cfg=dict(type='ReLU'),
                      out_indices=(0, 1, 2, 3))
    model.load_state_dict(state, strict=True)
    model.double().eval()
    x = 0.05 * torch.randn(1, 3, 64, 64, dtype=torch.double)
    sd = RU.strict(state)
    sd.act = F.relu
    with torch.no_grad():
        ours = model(x)
        ref = RU.dense_features(x, sd, 64)
        gelu = RU.dense_features(x, state, 64)
    for o, r, g in zip(ours, ref, gelu):
        torch.testing.assert_close(o, r, atol=1e-8, rtol=1e-8)
    assert (ours[0] - gelu[0]).abs().max() > 1e-3


def _grads(model, x, seed=0):
    model.zero_grad()
    out = model.train()(x)
    out = out if isinstance(out, (tuple, list)) else [out]
    gen = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
               for o in out)
    loss.backward()
    return out, {n: p.grad.clone() for n, p in model.named_parameters()
                 if p.grad is not None}


@pytest.mark.parametrize('with_cp', [True, (1, 0, 2, 0)])
def test_2d_with_cp_recomputes_and_gives_the_same_gradients(with_cp):
    plain, model = _pair(with_cp=with_cp)
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    calls = []
    block = model.blocks3[0]
    # a pre-hook: the recomputation stops early once the saved tensors are
    # back (torch.utils.checkpoint early stop), so a post-hook may not run
    block.register_forward_pre_hook(lambda *_: calls.append(1))
    out, grads = _grads(model, x)
    # checkpointed: the block's forward runs again during backward
    assert len(calls) == 2
    ref_out, ref_grads = _grads(plain, x)
    for o, r in zip(out, ref_out):
        torch.testing.assert_close(o, r)
    assert grads.keys() == ref_grads.keys() and len(grads) > 0
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name],
                                   atol=1e-5, rtol=1e-4, msg=name)
    calls.clear()
    with torch.no_grad():
        model.eval()(x)
    assert len(calls) == 1


def _reference_grads(fn, x, state, seed=0):
    leaves = {k: v.clone().requires_grad_(True) for k, v in state.items()
              if v.is_floating_point() and not k.endswith(
                  ('running_mean', 'running_var'))}
    sd = dict(state, **leaves)
    out = fn(x, sd)
    out = out if isinstance(out, (tuple, list)) else [out]
    gen = torch.Generator().manual_seed(seed)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum()
               for o in out)
    loss.backward()
    return out, {k: v.grad for k, v in leaves.items() if v.grad is not None}


@pytest.mark.parametrize('ndim', [2, 3])
def test_training_forward_and_gradients_match_the_oracle(ndim):
    """Training mode (BatchNorm on batch statistics, drop rates 0, the
    training-time module paths), float64: every output and every
    parameter gradient equals the oracle's, computed by autograd through
    the functional forward."""
    if ndim == 2:
        state = dense_state()
        model = UniFormer(TINY_S, attn_mode='hybrid', window_size=3,
                          out_indices=(0, 1, 2, 3))
        x = 0.05 * torch.randn(2, 3, 83, 64, dtype=torch.double)

        def fn(x, sd):
            return RU.dense_features(x, sd, 64, 'hybrid', 3, train=True)
    else:
        state = double(official_state('video_small_k400',
                                      depths=TINY_DEPTHS, num_classes=10))
        state = {k: v for k, v in state.items() if not k.startswith('head.')}
        model = UniFormer3D(TINY_S)
        x = 0.05 * torch.randn(2, 3, 4, 64, 64, dtype=torch.double)

        def fn(x, sd):
            return RU.video_features(x, sd, 64, train=True)
    model.load_state_dict(state, strict=True)
    model.double()
    out, grads = _grads(model, x)
    ref_out, ref_grads = _reference_grads(fn, x, state)
    for o, r in zip(out, ref_out):
        torch.testing.assert_close(o, r, atol=1e-8, rtol=1e-8)
    assert set(grads) == set(ref_grads)
    for name, g in grads.items():
        torch.testing.assert_close(g, ref_grads[name], atol=1e-8, rtol=1e-6,
                                   msg=name)

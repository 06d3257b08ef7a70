"""Mixed precision switches: every shipped training config's optim_wrapper
builds and steps on this machine; AMP configs ask for bf16 and fall back to
fp32 with one warning where no AMP device exists; attention stays finite in
half precision."""
import glob
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from torch import nn

import mmuniformer  # noqa: F401
from mmuniformer.engine.amp import amp_device_available

from conftest import REPO  # noqa: E402  (the repository root)
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


class _Tiny(nn.Module):
    """Names that the configs' paramwise rules look for (norm, bias, 1-D)."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.conv = nn.Conv2d(3, 4, 3)
        self.backbone.norm1 = nn.BatchNorm2d(4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        y = self.backbone.norm1(self.backbone.conv(x))
        return self.head(y.mean((2, 3)))


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _step(cfg_optim):
    torch.manual_seed(0)
    model = _Tiny()
    wrapper = build_optim_wrapper(model, cfg_optim)
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 3, 8, 8)).square().mean()
    wrapper.update_params(loss)
    changed = [not torch.equal(b, p) for b, p in zip(before,
                                                     model.parameters())]
    assert all(changed)
    return wrapper


def test_every_training_config_builds_and_steps_here(warnings_logged):
    assert len(CONFIGS) > 40
    amp = 0
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        if 'optim_wrapper' not in cfg:
            continue
        optim = cfg.optim_wrapper
        # official fp16 AMP -> ours in bf16, never mmengine's CPU-refusing one
        assert optim.get('type') != 'AmpOptimWrapper', path
        is_ours = optim.get('type') == 'mmuniformer.AmpOptimWrapper'
        # a recipe the official code ran in fp32 states dtype='float32'
        is_amp = is_ours and optim.get('dtype') != 'float32'
        if is_ours and not is_amp:
            assert type(_step(optim)) is OptimWrapper, path
            continue
        if is_amp:
            amp += 1
            assert optim.dtype == 'bfloat16', path
        n_before = len(warnings_logged)
        wrapper = _step(optim)
        if is_amp and not amp_device_available():
            assert type(wrapper) is OptimWrapper, path
            assert len(warnings_logged) == n_before + 1, path  # exactly one
            assert 'fp32' in warnings_logged[-1]
        elif is_amp:
            assert isinstance(wrapper, AmpOptimWrapper), path
            assert wrapper.cast_dtype == torch.bfloat16
    # video recipes, detection AMP recipes and every pose recipe
    assert amp >= 35


def test_precision_switches(warnings_logged):
    base = dict(type='mmuniformer.AmpOptimWrapper', loss_scale='dynamic',
                optimizer=dict(type='AdamW', lr=1e-3))
    fp32 = _step(dict(base, dtype='float32'))
    assert type(fp32) is OptimWrapper and not warnings_logged  # silent
    fp16 = _step(dict(base, dtype='float16'))
    if amp_device_available():
        assert fp16.cast_dtype == torch.float16
    else:
        assert type(fp16) is OptimWrapper and len(warnings_logged) == 1
    with pytest.raises(ValueError, match='optim_wrapper.dtype'):
        build_optim_wrapper(_Tiny(), dict(base, dtype='float8'))


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_attention_finite_where_explicit_half_attention_overflows(dtype):
    """Official NaN issue with fp16 AMP: q @ k^T overflows fp16 (max 65504)
    before the scale is applied. Our attention (SDPA) must stay finite and
    close to fp32 under autocast for logits that large."""
    from mmuniformer.models.layers.blocks import MultiHeadSelfAttention
    torch.manual_seed(0)
    attn = MultiHeadSelfAttention(64, 1).eval()
    with torch.no_grad():
        attn.qkv.weight.zero_()
        attn.qkv.bias.zero_()
        attn.qkv.weight[:64].copy_(torch.eye(64))  # q = x
        attn.qkv.weight[64:128].copy_(torch.eye(64))  # k = x
        attn.qkv.weight[128:].copy_(torch.eye(64))  # v = x
    x = torch.randn(1, 16, 64)
    x = x / x.norm(dim=-1, keepdim=True) * 300  # |q.k| up to 9e4 > 65504
    with torch.no_grad():
        ref = attn(x)
        with torch.autocast('cpu', dtype=dtype):
            out = attn(x)
            q = x.to(dtype)
            explicit = (q @ q.transpose(-2, -1)) * 64 ** -0.5
    if dtype == torch.float16:
        assert not torch.isfinite(explicit).all()  # the official failure
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out.float(), ref, atol=0.05 * 300, rtol=0.05)

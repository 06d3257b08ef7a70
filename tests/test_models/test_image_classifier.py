"""The ImageNet model built from the shared trunk reproduces the official
image logits from official-layout weights (plain and token labeling).

Weights come from the official key lists (``official_layout``), shortened
to ``TINY_DEPTHS`` blocks per stage; full-size layouts are checked in
``tests/test_checkpoint/test_official_layouts.py``."""
import pytest
import torch
from official_layout import (TINY_DEPTHS, TINY_L_LS, TINY_S, TINY_S_PLUS,
                             load_layout, official_state)
from reference_uniformer import image_logits

from mmuniformer.models import UniFormerImageClassifier

CASES = [
    ('image_small_in1k', TINY_S, False),
    ('image_small_plus_in1k', TINY_S_PLUS, False),  # conv stem, head_dim 32
    ('image_base_ls_in1k', dict(TINY_S, layer_scale='global'), False),
    ('image_small_tl', dict(TINY_S, head_dim=32), True),
    ('image_large_ls_tl', TINY_L_LS, True),  # layer scale in every block
]


@pytest.mark.parametrize('family,arch,token_labeling', CASES)
def test_official_image_logits(family, arch, token_labeling):
    state = official_state(family, depths=TINY_DEPTHS, num_classes=10)
    model = UniFormerImageClassifier(arch, num_classes=10,
                                     token_labeling=token_labeling).eval()
    assert set(model.state_dict()) == set(state)
    model.load_state_dict(state, strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(x),
                                   image_logits(x, state, arch['head_dim'],
                                                layer_scale=arch.get(
                                                    'layer_scale')),
                                   atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize('family,arch', [
    ('image_small_in1k', 'small'), ('image_small_plus_in1k', 'small_plus'),
    ('image_base_in1k', 'base')])
def test_official_names_and_shapes_full_size(family, arch):
    """Every official name and shape (331 / 386 / 687 entries for S /
    S-dagger / B, reference §3.1)."""
    layout = load_layout(family)
    model = UniFormerImageClassifier(arch)
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours == layout['keys']


def test_cls_backbone_is_the_trunk_plus_final_bn():
    """UniFormerClsBackbone: official keys minus the heads, the final BN
    applied (reference image_logits' feature), frozen with stage 4."""
    from mmuniformer.models import UniFormerClsBackbone
    state = official_state('image_small_in1k', depths=TINY_DEPTHS,
                           num_classes=10)
    backbone = UniFormerClsBackbone(TINY_S).eval()
    trunk = {k: v for k, v in state.items()
             if not k.startswith(('head.', 'aux_head.'))}
    backbone.load_state_dict(trunk, strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        (feat, ) = backbone(x)
    # mean of the feature through the official head = official logits
    logits = feat.mean((2, 3)) @ state['head.weight'].t() + state['head.bias']
    torch.testing.assert_close(logits,
                               image_logits(x, state, TINY_S['head_dim']),
                               atol=1e-4, rtol=1e-4)
    frozen = UniFormerClsBackbone(TINY_S, frozen_stages=4)
    assert not any(p.requires_grad for p in frozen.norm.parameters())
    assert all(p.requires_grad for p in UniFormerClsBackbone(
        TINY_S, frozen_stages=3).norm.parameters())
    with pytest.raises(ValueError, match='out_indices'):
        UniFormerClsBackbone(TINY_S, out_indices=(2, 3))

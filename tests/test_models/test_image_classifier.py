"""The ImageNet model built from the shared trunk reproduces the official
image logits from official-layout weights (plain and token labeling)."""
import pytest
import torch
from ckpt_factory import imagenet_state
from conftest import TINY
from reference_uniformer import image_logits

from mmuniformer.models import UniFormerImageClassifier


@pytest.mark.parametrize('token_labeling', [False, True])
@pytest.mark.parametrize('arch', [TINY, dict(TINY, conv_stem=True),
                                  dict(TINY, layer_scale='all')])
def test_official_image_logits(arch, token_labeling):
    state = imagenet_state(arch, num_classes=10,
                           token_labeling=token_labeling)
    model = UniFormerImageClassifier(arch, num_classes=10,
                                     token_labeling=token_labeling).eval()
    assert set(model.state_dict()) == set(state)
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), image_logits(x, state, 16),
                                   atol=1e-4, rtol=1e-4)


def test_official_key_count_small():
    """331 state-dict entries for image S (reference §3.1)."""
    assert len(UniFormerImageClassifier('small').state_dict()) == 331
    assert len(UniFormerImageClassifier('small_plus').state_dict()) == 386
    assert len(UniFormerImageClassifier('base').state_dict()) == 687


def test_cls_backbone_is_the_trunk_plus_final_bn():
    """UniFormerClsBackbone: official keys minus the heads, the final BN
    applied (reference image_logits' feature), frozen with stage 4."""
    from mmuniformer.models import UniFormerClsBackbone
    state = imagenet_state(TINY, num_classes=10)
    backbone = UniFormerClsBackbone(TINY).eval()
    trunk = {k: v for k, v in state.items()
             if not k.startswith(('head.', 'aux_head.'))}
    backbone.load_state_dict(trunk, strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        (feat, ) = backbone(x)
    # mean of the feature through the official head = official logits
    logits = feat.mean((2, 3)) @ state['head.weight'].t() + state['head.bias']
    torch.testing.assert_close(logits, image_logits(x, state, 16),
                               atol=1e-4, rtol=1e-4)
    frozen = UniFormerClsBackbone(TINY, frozen_stages=4)
    assert not any(p.requires_grad for p in frozen.norm.parameters())
    assert all(p.requires_grad for p in UniFormerClsBackbone(
        TINY, frozen_stages=3).norm.parameters())
    with pytest.raises(ValueError, match='out_indices'):
        UniFormerClsBackbone(TINY, out_indices=(2, 3))

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

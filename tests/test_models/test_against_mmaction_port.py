"""Cross-check with an implementation we did not write: MMAction2's own
(test-only) UniFormer port. Its block LayerNorms use PyTorch's default eps
1e-5 instead of the official 1e-6 (reference §11.2); with that set to the
official value, the same weights must give our features."""
import torch
from conftest import randomize_state
from torch import nn

import mmuniformer  # noqa: F401
from mmuniformer.models import UniFormer3D


def test_same_features_as_mmaction_port_with_official_eps():
    from mmaction.models.backbones.uniformer import UniFormer as Port
    arch = dict(depths=(1, 2, 2, 1), embed_dims=(64, 128, 320, 512),
                head_dim=64)
    ours = UniFormer3D(arch).eval()
    state = randomize_state(ours, seed=3)
    port = Port(depth=list(arch['depths']), embed_dim=list(
        arch['embed_dims']), head_dim=64, pretrained2d=False).eval()
    missing, unexpected = port.load_state_dict(state, strict=False)
    assert not missing and not unexpected  # identical key layout
    blocks = [b for i in (3, 4) for b in getattr(port, f'blocks{i}')]
    for block in blocks:  # set the official block LN eps
        for module in block.modules():
            if isinstance(module, nn.LayerNorm):
                module.eps = 1e-6
    x = torch.randn(1, 3, 8, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), port(x), atol=1e-4, rtol=1e-4)

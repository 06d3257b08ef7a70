"""Our modules build by their scoped names from every host's registry, and
MMAction2's own ``UniFormer`` port never shadows ours."""
import importlib

import pytest
from conftest import TINY
from mmengine.registry import DefaultScope, init_default_scope

import mmuniformer
from mmuniformer.models import UniFormer, UniFormer3D, UniFormerClsBackbone


@pytest.mark.parametrize('scope', ['mmaction', 'mmdet', 'mmseg', 'mmpose',
                                   'mmpretrain'])
@pytest.mark.parametrize('name,cls', [
    ('mmuniformer.UniFormer3D', UniFormer3D),
    ('mmuniformer.UniFormer', UniFormer),
    ('mmuniformer.UniFormerClsBackbone', UniFormerClsBackbone)])
def test_build_with_each_default_scope(scope, name, cls):
    init_default_scope(scope)
    assert DefaultScope.get_current_instance().scope_name == scope
    host_models = importlib.import_module(f'{scope}.registry').MODELS
    for registry in (host_models, mmuniformer.MODELS):
        model = registry.build(dict(type=name, arch=TINY))
        assert type(model) is cls


def test_registry_hangs_off_the_mmengine_root():
    from mmengine.registry import MODELS as ROOT
    assert mmuniformer.MODELS.parent is ROOT
    assert mmuniformer.MODELS.scope == 'mmuniformer'
    assert 'mmuniformer' in ROOT.children


def test_mmaction_uniformer_port_does_not_shadow_ours():
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    theirs = MODELS.get('UniFormer')
    assert theirs is not None and theirs is not UniFormer
    assert MODELS.get('mmuniformer.UniFormer') is UniFormer
    assert MODELS.get('mmuniformer.UniFormer3D') is UniFormer3D


def test_token_labeling_head_builds_in_mmpretrain():
    import mmuniformer.models.heads.cls_heads  # noqa: F401  (needs mmpretrain)
    from mmpretrain.models.heads import LinearClsHead
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    head = MODELS.build(dict(type='mmuniformer.TokenLabelingClsHead',
                             num_classes=5, in_channels=8))
    assert isinstance(head, LinearClsHead)
    assert MODELS.get('ImageClassifier') is not None

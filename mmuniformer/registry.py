"""mmuniformer's registries.

Like mmyolo, a library beside its hosts: the registries hang off the mmengine
root, so every host (mmaction, mmdet, mmseg, mmpose) finds our modules under
the scope prefix ``mmuniformer.`` whatever the default scope is, e.g.
``dict(type='mmuniformer.UniFormer3D')``. The prefix also keeps MMAction2's own
``UniFormer`` (its test-only port) from ever being built in place of ours.
"""
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmuniformer',
                  locations=['mmuniformer.models'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='mmuniformer',
                 locations=['mmuniformer.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          scope='mmuniformer',
                          locations=['mmuniformer.engine'])

TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      scope='mmuniformer',
                      locations=['mmuniformer.datasets.transforms'])

__all__ = ['MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'TRANSFORMS']

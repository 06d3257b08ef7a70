"""mmuniformer's registries.

Like mmyolo, a library beside its hosts: the registries hang off the mmengine
root, so every host (mmaction, mmdet, mmseg, mmpose) finds our modules under
the scope prefix ``mmuniformer.`` whatever the default scope is, e.g.
``dict(type='mmuniformer.UniFormer3D')``. The prefix also keeps MMAction2's own
``UniFormer`` (its test-only port) from ever being built in place of ours.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry

# ``mmuniformer.analysis`` registers the FLOPs handle of fused attention with
# mmengine's analyzer when a model of ours is first built
MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmuniformer',
                  locations=['mmuniformer.models', 'mmuniformer.analysis'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='mmuniformer',
                 locations=['mmuniformer.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          scope='mmuniformer',
                          locations=['mmuniformer.engine'])
# ``runner_type = 'mmuniformer.Runner'`` (mmuniformer.engine.runner)
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope='mmuniformer',
                   locations=['mmuniformer.engine.runner'])
# data transforms (decoders, clip augmentation, token labels:
# ``mmuniformer.<Name>``); importing them imports the host, so only on first use
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS,
                      scope='mmuniformer',
                      locations=['mmuniformer.datasets.transforms'])

# the datasets and metrics subclass MMAction2's, so their modules import
# mmaction: they load when a config names them (``mmuniformer.VideoDataset``,
# ``mmuniformer.AccMetric``), never on ``import mmuniformer``
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='mmuniformer',
                    locations=['mmuniformer.datasets.video_dataset'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope='mmuniformer',
                   locations=['mmuniformer.evaluation'])

__all__ = ['MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'RUNNERS', 'TRANSFORMS',
           'DATASETS', 'METRICS']

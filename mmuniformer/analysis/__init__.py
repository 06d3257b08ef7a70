"""FLOPs counting (``flops.py``): the attention handle registered with
mmengine's analyzer, and counting on fake tensors. Loaded with the model
registry (``mmuniformer.registry``), so the hosts' own ``get_flops`` tools
count UniFormer's attention once a config's model is built.

``models.py``: a config's model built for counting and export, and the
forwards that are counted or exported (``get_flops.py``, ``export_onnx.py``).

``attention.py``: the attention of the global blocks recorded beside SDPA,
query maps, rollout, the light models' kept tokens and the overlays drawn
from them (``vis_attention.py``, ``web_demo.py``). Import it as
``mmuniformer.analysis.attention``; it is not loaded with the registry.
"""
from .flops import (HEAD_MODULES, FlopCount, count_flops, count_params,
                    measure, register_flop_handles, sdpa_flop_jit,
                    sdpa_flops, trace_flops)
from .models import (HOST_FORWARDS, HOST_REGISTRIES, ClassifierForward,
                     DetectorForward, ImageForward, PoseForward,
                     RecognizerForward, SegmentorForward, TracedForward,
                     build_plain_model, dummy_proposals, infer_scope,
                     prepare_config)

register_flop_handles()

__all__ = ['FlopCount', 'count_flops', 'count_params', 'measure',
           'register_flop_handles', 'sdpa_flop_jit', 'sdpa_flops',
           'trace_flops', 'HEAD_MODULES', 'HOST_FORWARDS', 'HOST_REGISTRIES',
           'ClassifierForward', 'DetectorForward', 'ImageForward',
           'PoseForward', 'RecognizerForward', 'SegmentorForward',
           'TracedForward', 'build_plain_model', 'dummy_proposals',
           'infer_scope', 'prepare_config']

"""FLOPs counting (``flops.py``): the attention handle registered with
mmengine's analyzer, and counting on fake tensors. Loaded with the model
registry (``mmuniformer.registry``), so the hosts' own ``get_flops`` tools
count UniFormer's attention once a config's model is built."""
from .flops import (FlopCount, count_flops, register_flop_handles,
                    sdpa_flop_jit, sdpa_flops)

register_flop_handles()

__all__ = ['FlopCount', 'count_flops', 'register_flop_handles',
           'sdpa_flop_jit', 'sdpa_flops']

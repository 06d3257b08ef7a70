"""Mixed precision that also starts on a CPU-only machine.

The official UniFormer runs trained with fp16 AMP. Our training configs use
``type='mmuniformer.AmpOptimWrapper', dtype='bfloat16'``: bf16 has fp32's
exponent range, so the attention logits cannot overflow (the official fp16
NaN issue) and no loss scaling is needed. mmengine's own ``AmpOptimWrapper``
asserts a GPU/NPU/MLU/MUSA device, so a shipped config could not even be
smoke-tested (``mim train``) on a CPU machine, and switching only its type to
``OptimWrapper`` fails in configs that set ``loss_scale`` (MMPose's) with
``unexpected keyword argument 'loss_scale'``. This builder closes that gap:

* an AMP device is present and ``dtype`` is ``'bfloat16'``/``'float16'``
  (or ``None``, autocast's default fp16): mmengine's ``AmpOptimWrapper``,
  unchanged;
* ``dtype='float32'``: full precision, mmengine's ``OptimWrapper``
  (``loss_scale`` is dropped) - the documented fp32 switch;
* no AMP device: ``OptimWrapper`` in fp32, with one warning that says so.

Switches (no config edit): ``--cfg-options optim_wrapper.dtype=float16``
(fp16 with the config's dynamic loss scale), ``optim_wrapper.dtype=float32``.
"""
from typing import Optional, Union

import torch
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper as MMEngineAmpOptimWrapper
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS

AMP_DTYPES = ('bfloat16', 'float16', 'float32')


def amp_device_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


@OPTIM_WRAPPERS.register_module(name='AmpOptimWrapper')
def build_amp_optim_wrapper(loss_scale: Union[str, float, dict] = 'dynamic',
                            dtype: Optional[Union[str, torch.dtype]] = None,
                            **kwargs) -> OptimWrapper:
    """mmengine's AMP wrapper where it can run, fp32 ``OptimWrapper`` where
    it cannot or where ``dtype='float32'`` asks for it (see module doc).

    ``kwargs`` are ``OptimWrapper``'s (``optimizer``, ``clip_grad``,
    ``accumulative_counts``) plus ``AmpOptimWrapper``'s ``use_fsdp``.
    """
    if isinstance(dtype, torch.dtype):
        dtype = str(dtype).replace('torch.', '')
    if dtype is not None and dtype not in AMP_DTYPES:
        raise ValueError(f'optim_wrapper.dtype must be one of {AMP_DTYPES} '
                         f'or None, got {dtype!r}')
    if dtype == 'float32':
        kwargs.pop('use_fsdp', None)
        return OptimWrapper(**kwargs)
    if not amp_device_available():
        print_log(
            f'mmuniformer.AmpOptimWrapper: no GPU/NPU/MLU/MUSA device, so '
            f'mixed precision ({dtype or "float16"}) is off and this run '
            'trains in fp32 with a plain OptimWrapper (loss_scale ignored). '
            'Set optim_wrapper.dtype=float32 to silence this.',
            logger='current', level=30)
        kwargs.pop('use_fsdp', None)
        return OptimWrapper(**kwargs)
    return MMEngineAmpOptimWrapper(loss_scale=loss_scale, dtype=dtype,
                                   **kwargs)

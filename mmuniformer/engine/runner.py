"""``runner_type = 'mmuniformer.Runner'``: mmengine's Runner that also runs
data-parallel on a machine without a GPU.

mmengine 0.10.7's ``_init_dist_pytorch`` calls
``torch.cuda.set_device(LOCAL_RANK)`` unconditionally, so ``--launcher
pytorch`` (``torchrun``, ``mim train --launcher pytorch --gpus 2``) dies on a
CPU-only machine (``Found no NVIDIA driver``) even with the gloo backend, and
the Runner wraps the model in ``MMDistributedDataParallel(device_ids=
[LOCAL_RANK])``, which PyTorch refuses for a CPU module. This Runner changes
exactly these two steps, and only when no CUDA (nor NPU/MLU/MUSA) device is
present: :func:`init_dist_cpu_aware` (gloo, said in the log) and
:func:`cpu_model_wrapper_cfg` (DDP with ``device_ids=None``). With a GPU it is
mmengine's Runner, unchanged. Training is still PyTorch DDP through
mmengine. The shipped configs' ``_base_`` files set ``runner_type``; the
hosts' ``tools/train.py`` / ``test.py`` build ``RUNNERS.build(cfg)`` for it.
"""
import datetime
from typing import Optional

import torch
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.runner import Runner as MMEngineRunner

from ..registry import RUNNERS


def no_accelerator() -> bool:
    """True when mmengine would find neither CUDA nor NPU/MLU/MUSA."""
    from mmengine.device import (is_mlu_available, is_musa_available,
                                 is_npu_available)
    return not (torch.cuda.is_available() or is_npu_available()
                or is_mlu_available() or is_musa_available())


def init_dist_cpu_aware(launcher: str, backend: str = 'nccl',
                        init_backend: str = 'torch', **kwargs) -> None:
    """mmengine's ``init_dist``, except that ``launcher='pytorch'`` without
    an accelerator initialises gloo and never touches CUDA.

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        backend (str): the configured backend; ``'nccl'`` becomes ``'gloo'``
            (nccl needs GPUs) on a CPU-only machine, with one log line.
            Defaults to ``'nccl'``.
        init_backend (str): as mmengine's. Defaults to ``'torch'``.
        **kwargs: ``init_process_group`` arguments; ``timeout`` in seconds.
    """
    from mmengine.dist import init_dist
    if launcher != 'pytorch' or init_backend != 'torch' or \
            not no_accelerator():
        return init_dist(launcher, backend=backend,
                         init_backend=init_backend, **kwargs)
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    import torch.multiprocessing as mp
    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    if backend != 'gloo':
        print_log(f'mmuniformer: no CUDA device, using the gloo backend '
                  f'instead of {backend!r}', logger='current')
    torch.distributed.init_process_group(backend='gloo', **kwargs)


def cpu_model_wrapper_cfg(model_wrapper_cfg: Optional[dict],
                          find_unused_parameters: bool = False) -> dict:
    """The ``model_wrapper_cfg`` for data-parallel on CPU: mmengine's own
    default wrapper (``MMDistributedDataParallel``, ``broadcast_buffers=
    False``) or the configured one, with ``device_ids=None``.

    Args:
        model_wrapper_cfg (dict, optional): the config's; None for mmengine's
            default.
        find_unused_parameters (bool): the config's top-level key, used for
            the default wrapper. Defaults to False.
    """
    if model_wrapper_cfg is None:
        return dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                    find_unused_parameters=find_unused_parameters,
                    device_ids=None)
    return dict(model_wrapper_cfg, device_ids=None)


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """mmengine's ``Runner`` that also runs ``--launcher pytorch`` on a
    CPU-only machine (see the module docstring); arguments as mmengine's."""

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not is_distributed() and no_accelerator():
            init_dist_cpu_aware(self.launcher,
                                **dict(env_cfg.get('dist_cfg', {})))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        from mmengine.model import is_model_wrapper
        from torch.nn.parallel import DistributedDataParallel
        if self.distributed and no_accelerator() and \
                not is_model_wrapper(model):
            from mmengine.registry import MODEL_WRAPPERS
            wrapper = (model_wrapper_cfg or {}).get(
                'type', 'MMDistributedDataParallel')
            wrapper = MODEL_WRAPPERS.get(wrapper) if isinstance(
                wrapper, str) else wrapper
            if wrapper is not None and issubclass(wrapper,
                                                  DistributedDataParallel):
                model_wrapper_cfg = cpu_model_wrapper_cfg(
                    model_wrapper_cfg,
                    self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)


__all__ = ['Runner', 'init_dist_cpu_aware', 'cpu_model_wrapper_cfg',
           'no_accelerator']

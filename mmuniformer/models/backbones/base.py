"""The four-stage UniFormer trunk shared by the 2D and 3D backbones.

Subclasses decide the spatial rank (``ndim``), how each stage embeds its
input (``_build_patch_embed``), the attention window of each global block
(``_window_size``) and what is returned (``forward``). Module names equal the
official checkpoints': ``patch_embed1..4``, ``blocks1..4.N``.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.utils.checkpoint as cp
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, trunc_normal_init
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint.adapter import guard_state_dict_loading
from ..arch import LAYER_SCALE_INIT, resolve_arch
from ..layers.blocks import GlobalMHRABlock, LocalMHRABlock, channels_last_format
from ..layers.cpu_kernels import set_cpu_kernels

NUM_STAGES = 4


class UniFormerTrunk(BaseModule):
    """Stages of UniFormer: patch embedding + blocks, four times.

    Args:
        arch: variant name (see ``arch.ARCH_ZOO``) or a dict with
            ``depths``, ``embed_dims``, ``head_dim`` (and optionally
            ``mlp_ratio``, ``conv_stem``, ``layer_scale``).
        head_dim: overrides the variant's head_dim (checkpoint-specific).
        in_channels: input channels.
        qkv_bias: bias of the attention qkv projection.
        drop_rate: dropout after ``patch_embed1`` and inside MLPs/proj.
        attn_drop_rate: attention dropout.
        drop_path_rate: stochastic depth, linear over all blocks of all stages.
        out_indices: stages (0-based) whose maps are returned.
        frozen_stages: ``-1`` none, ``0`` ``patch_embed1`` only, ``k`` stages
            ``1..k`` (their patch embeddings, blocks and output norms).
        norm_eval: keep BatchNorms in eval mode while training.
        with_cp: activation checkpointing. ``True`` for every block, or one
            int per stage: the number of leading blocks of that stage to
            checkpoint (the official ``checkpoint_num``).
        channels_last: memory layout of the computation. ``True``: the input
            is turned channels-last once at the trunk entry and every stage
            computes in it (no layout flips in stages 1-2; the tokens of
            stages 3-4 are free views); ``False``: plain contiguous
            (the reference layout); ``None`` (default): channels-last on
            CPU, where it was measured 2x faster for a training step
            (depthwise 3D convs), contiguous elsewhere (not measured yet).
            Returned maps are plainly contiguous ``(B, C, *S)`` either way;
            parameters and math are the same.
        cpu_kernels: fp32 CPU products of the linear layers and the
            pointwise convs through oneDNN, and the depthwise convs'
            gradients as forward convs
            (:mod:`mmuniformer.models.layers.cpu_kernels`); same math, measured
            faster on CPU. ``False`` uses the plain PyTorch ops. Other
            devices, autocast, tracing and compiling use the plain ops
            either way.
        init_cfg: ``dict(type='Pretrained', checkpoint=...)`` loads any
            official or mm-format UniFormer checkpoint through
            :mod:`mmuniformer.checkpoint.adapter` (inflated for 3D).
    """
    ndim: int = 2
    allowed_arches: Optional[set] = None

    def __init__(self,
                 arch: Union[str, dict] = 'small',
                 head_dim: Optional[int] = None,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: Union[bool, Sequence[int]] = False,
                 act_cfg: dict = dict(type='GELU'),
                 channels_last: Optional[bool] = None,
                 cpu_kernels: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        guard_state_dict_loading(self)  # all-or-nothing load_state_dict
        self.arch = resolve_arch(arch, head_dim, self.allowed_arches)
        depths = self.arch['depths']
        dims = self.arch['embed_dims']
        self.depths, self.embed_dims = depths, dims
        self.head_dim = self.arch['head_dim']
        self._init_options(in_channels, out_indices, frozen_stages, norm_eval,
                           with_cp, channels_last)

        layer_scale = self.arch['layer_scale']
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        cursor = 0
        for i in range(NUM_STAGES):
            in_ch = in_channels if i == 0 else dims[i - 1]
            self.add_module(f'patch_embed{i + 1}',
                            self._build_patch_embed(i, in_ch, dims[i]))
            blocks = nn.ModuleList()
            for j in range(depths[i]):
                if i < 2:
                    block = LocalMHRABlock(
                        self.ndim, dims[i], self.arch['mlp_ratio'],
                        drop=drop_rate, drop_path=dpr[cursor + j],
                        act_cfg=act_cfg,
                        layer_scale_init=LAYER_SCALE_INIT
                        if layer_scale == 'all' else None)
                else:
                    block = GlobalMHRABlock(
                        self.ndim, dims[i], dims[i] // self.head_dim,
                        self.arch['mlp_ratio'], qkv_bias=qkv_bias,
                        drop=drop_rate, attn_drop=attn_drop_rate,
                        drop_path=dpr[cursor + j], act_cfg=act_cfg,
                        window_size=self._window_size(i, j),
                        layer_scale_init=LAYER_SCALE_INIT
                        if layer_scale in ('global', 'all') else None)
                blocks.append(block)
            cursor += depths[i]
            self.add_module(f'blocks{i + 1}', blocks)
        self.pos_drop = nn.Dropout(drop_rate)
        self.cpu_kernels = cpu_kernels

    @property
    def cpu_kernels(self) -> bool:
        return self._cpu_kernels

    @cpu_kernels.setter
    def cpu_kernels(self, enabled: bool) -> None:
        if enabled not in (True, False):
            raise ValueError(f'cpu_kernels must be True or False, got '
                             f'{enabled!r}')
        self._cpu_kernels = enabled
        set_cpu_kernels(self, enabled)

    # -- hooks for subclasses ---------------------------------------------
    def _build_patch_embed(self, stage: int, in_channels: int,
                           embed_dims: int) -> nn.Module:
        raise NotImplementedError

    def _window_size(self, stage: int, index: int) -> Optional[int]:
        """Attention window of block ``index`` of ``stage`` (None: global)."""
        return None

    def _extra_stage_modules(self, stage: int) -> List[nn.Module]:
        """Modules besides embedding and blocks frozen with ``stage``."""
        return []

    # -- argument checks ------------------------------------------------------
    @staticmethod
    def _check_out_indices(out_indices) -> tuple:
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        out = []
        for idx in out_indices:
            idx = int(idx)
            if idx < 0:
                idx += NUM_STAGES
            if not 0 <= idx < NUM_STAGES:
                raise ValueError(f'out_indices entries must be in [0, 3] (or '
                                 f'negative), got {out_indices}')
            out.append(idx)
        if not out:
            raise ValueError('out_indices is empty')
        return tuple(out)

    @staticmethod
    def _check_with_cp(with_cp, depths) -> tuple:
        if isinstance(with_cp, bool):
            return tuple(d if with_cp else 0 for d in depths)
        with_cp = tuple(int(n) for n in with_cp)
        if len(with_cp) != NUM_STAGES or any(
                not 0 <= n <= d for n, d in zip(with_cp, depths)):
            raise ValueError('with_cp must be a bool or one count per stage '
                             f'within the depths {depths}, got {with_cp}')
        return with_cp

    # -- forward helpers ------------------------------------------------------
    def _run_blocks(self, stage: int, x: torch.Tensor) -> torch.Tensor:
        for j, block in enumerate(getattr(self, f'blocks{stage + 1}')):
            if (j < self.cp_blocks[stage] and self.training
                    and x.requires_grad):
                x = cp.checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return x

    def _init_options(self, in_channels, out_indices, frozen_stages,
                      norm_eval, with_cp, channels_last) -> None:
        """Check and store the options every UniFormer trunk shares
        (classic and light); ``self.depths`` must be set."""
        self.in_channels = in_channels
        self.out_indices = self._check_out_indices(out_indices)
        if not -1 <= frozen_stages <= NUM_STAGES:
            raise ValueError(f'frozen_stages must be in [-1, {NUM_STAGES}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.cp_blocks = self._check_with_cp(with_cp, self.depths)
        if channels_last not in (None, True, False):
            raise ValueError('channels_last must be None (auto), True or '
                             f'False, got {channels_last!r}')
        self.channels_last = channels_last
        self._min_size = None

    def min_input_size(self) -> tuple:
        """Smallest input size per axis (T, H, W or H, W) that leaves at
        least one position after every patch embedding up to the last
        returned stage, found from the embeddings' own convs (so the conv
        stem's ceil and the video stem's temporal padding are honoured).
        Worked out once (the embeddings never change), not per forward."""
        if self._min_size is not None:
            return self._min_size
        convs = [m for i in range(max(self.out_indices) + 1)
                 for m in getattr(self, f'patch_embed{i + 1}').modules()
                 if isinstance(m, nn.modules.conv._ConvNd)]
        sizes = []
        for axis in range(self.ndim):
            size = 1
            while True:
                out = size
                for conv in convs:
                    out = (out + 2 * conv.padding[axis] -
                           conv.dilation[axis] * (conv.kernel_size[axis] - 1)
                           - 1) // conv.stride[axis] + 1
                if out >= 1:
                    break
                size += 1
            sizes.append(size)
        self._min_size = tuple(sizes)
        return self._min_size

    def check_input(self, x: torch.Tensor, layout: str) -> None:
        """Raise ``ValueError`` in the backbone's terms (rank, channels,
        minimum size) instead of a conv error from deep inside."""
        want = f'{type(self).__name__} expects {layout} with C=' \
               f'{self.in_channels}'
        if x.dim() != self.ndim + 2:
            raise ValueError(f'{want}, got a {x.dim()}-D tensor of shape '
                             f'{tuple(x.shape)}')
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{want}, got {x.shape[1]} channels (shape '
                             f'{tuple(x.shape)}); set in_channels to match '
                             'the data')
        least = self.min_input_size()
        if any(s < m for s, m in zip(x.shape[2:], least)):
            axes = layout.split(',')[2:]
            axes = [a.strip(' )') for a in axes]
            need = ', '.join(f'{a}>={m}' for a, m in zip(axes, least))
            raise ValueError(f'{want} and sizes {need} (the patch embeddings '
                             f'up to stage {max(self.out_indices) + 1} '
                             f'downsample that much), got {tuple(x.shape)}')

    def uses_channels_last(self, x: torch.Tensor) -> bool:
        """Whether the stages compute channels-last for input ``x``.

        Never while exporting to ONNX or tracing: memory formats do not exist
        in an ONNX graph, and the TorchScript exporter refuses a
        ``contiguous(memory_format=channels_last_3d)``."""
        if torch.onnx.is_in_onnx_export() or torch.jit.is_tracing():
            return False
        if self.channels_last is None:
            return x.device.type == 'cpu'
        return self.channels_last

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Raw output maps of stages ``0..max(out_indices)``, in the layout
        chosen by ``channels_last`` (the one conversion, at the entry)."""
        fmt = channels_last_format(self.ndim) \
            if self.uses_channels_last(x) else torch.contiguous_format
        x = x.contiguous(memory_format=fmt)
        outs = []
        for i in range(max(self.out_indices) + 1):
            x = getattr(self, f'patch_embed{i + 1}')(x)
            if i == 0:
                x = self.pos_drop(x)
            x = self._run_blocks(i, x)
            outs.append(x)
        return outs

    # -- training behaviour ---------------------------------------------------
    def stage_modules(self, stage: int) -> List[nn.Module]:
        """Modules of 0-based ``stage``."""
        return [getattr(self, f'patch_embed{stage + 1}'),
                getattr(self, f'blocks{stage + 1}')
                ] + self._extra_stage_modules(stage)

    def _freeze_stages(self):
        if self.frozen_stages < 0:
            return
        modules = [self.patch_embed1]
        for i in range(self.frozen_stages):
            modules += self.stage_modules(i)
        for module in modules:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # -- weights ------------------------------------------------------------
    def _default_init(self):
        """Official initialisation: Linear trunc-normal(0.02), LN (1, 0)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_init(module, std=.02, bias=0.)
            elif isinstance(module, nn.LayerNorm):
                constant_init(module, 1., bias=0.)

    def init_weights(self):
        """Official init, then ``init_cfg``. A ``Pretrained`` init_cfg goes
        through the UniFormer checkpoint adapter (unwrap, rename, inflate,
        verify) instead of mmengine's plain loader."""
        from ...checkpoint.adapter import load_pretrained
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self._default_init()
            load_pretrained(self, cfg['checkpoint'],
                            map_location=cfg.get('map_location', 'cpu'),
                            logger=MMLogger.get_current_instance())
            self._is_init = True
            return
        if not getattr(self, '_is_init', False):
            self._default_init()
        super().init_weights()

"""The four-stage trunk every UniFormer backbone calls (classic and light,
2D and 3D).

:class:`UniFormerTrunk` owns the options and their checks, the input
checks, the stage loop (build and forward), freezing, activation
checkpointing and the weights' initialisation. A subclass says only what
differs, through these hooks (as mmyolo's ``build_stage_layer``):

* ``ndim`` (class attribute): 2 (images) or 3 (clips);
* :meth:`~UniFormerTrunk._build_patch_embed`: the embedding of each stage;
* :meth:`~UniFormerTrunk._build_block`: block ``index`` of ``stage``
  (the default builds the classic local / global MHRA blocks);
* :meth:`~UniFormerTrunk._build_extra_layers`: modules after the stages
  (output norms, cls token, heads), built before the one
  ``_freeze_stages`` call;
* :meth:`~UniFormerTrunk._extra_stage_modules`: what freezes with a stage;
* :meth:`~UniFormerTrunk._forward_stage`: the blocks of one stage (the
  default runs them in sequence; the light trunk threads its cls token and
  pruning score through them);
* ``forward``: what the backbone returns.

Module names equal the official checkpoints': ``patch_embed1..4``,
``blocks1..4.N``.
"""
import functools
import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
import torch.utils.checkpoint as cp
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, trunc_normal_init
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint.adapter import guard_state_dict_loading
from ..arch import LAYER_SCALE_INIT, NUM_STAGES, resolve_arch
from ..layers.blocks import GlobalMHRABlock, LocalMHRABlock, channels_last_format
from ..layers.cpu_kernels import set_cpu_kernels

# mmengine's CheckpointLoader schemes whose tables (mmengine/hub/*.json and
# torchvision's model zoo) hold no UniFormer weights; the hosts' bases use
# them for the backbone they ship (e.g. MMSegmentation's
# ``pretrained='open-mmlab://resnet50_v1c'``).
HOST_ZOO_SCHEMES = ('open-mmlab://', 'openmmlab://', 'torchvision://',
                    'modelzoo://', 'mmcls://')


def pretrained_to_init_cfg(pretrained: Optional[str],
                           init_cfg: Optional[Union[dict, list]],
                           owner: str) -> Optional[Union[dict, list]]:
    """Turn the hosts' ``pretrained=`` shortcut into this backbone's
    ``init_cfg``.

    MMSegmentation's ``EncoderDecoder`` copies ``model.pretrained`` into the
    backbone config, and 23 of its 51 ``_base_/models`` files set it to a
    ResNet / ViT / ... file. Such a value (one of :data:`HOST_ZOO_SCHEMES`)
    never names UniFormer weights: it is what the base's own backbone
    starts from, so it is ignored with a warning that gives the overrides,
    instead of refused (which would fail every swap into those bases until
    ``model.pretrained=None`` is added, while nothing could be loaded from
    it anyway). Any other value (a path, an URL, ``hf://``...) is taken as
    ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)`` with a
    warning: :meth:`UniFormerTrunk.init_weights` then loads it through the
    checkpoint adapter, which refuses a file that is no UniFormer
    checkpoint with its own message.

    Args:
        pretrained (str, optional): the shortcut's value; None: nothing.
        init_cfg (dict | list, optional): the backbone's ``init_cfg``.
        owner (str): class name for the messages.

    Returns:
        dict | list | None: the ``init_cfg`` to use.
    """
    if pretrained is None:
        return init_cfg
    if not isinstance(pretrained, str):
        raise TypeError(f'{owner}: pretrained must be a str (a checkpoint '
                        f'path or URL) or None, got {type(pretrained)}')
    if pretrained.startswith(HOST_ZOO_SCHEMES):
        warnings.warn(
            f'{owner}: ignoring pretrained={pretrained!r}, which the host '
            'config sets for the backbone it was written for: no UniFormer '
            'weights are in that model zoo. Set model.pretrained=None (or '
            'model.backbone.pretrained=None) to silence this, and '
            "model.backbone.init_cfg=dict(type='Pretrained', "
            "checkpoint='<uniformer file>') to start from UniFormer weights.",
            UserWarning, stacklevel=3)
        return init_cfg
    if init_cfg is not None:
        raise ValueError(
            f'{owner}: both pretrained={pretrained!r} and init_cfg='
            f'{init_cfg!r} are set; keep one (model.pretrained=None and '
            'model.backbone.pretrained=None, or model.backbone.init_cfg=None)')
    warnings.warn(
        f'{owner}: pretrained={pretrained!r} is taken as '
        f"init_cfg=dict(type='Pretrained', checkpoint={pretrained!r}); "
        'write that in model.backbone.init_cfg and set model.pretrained=None '
        'to say so directly.', UserWarning, stacklevel=3)
    return dict(type='Pretrained', checkpoint=pretrained)


class UniFormerTrunk(BaseModule):
    """Stages of UniFormer: patch embedding + blocks, four times.

    Args:
        arch (str | dict): variant name (see ``arch.ARCH_ZOO``, of the
            class's ``arch_family``) or a custom dict with ``depths``,
            ``embed_dims``, ``head_dim`` and the family's optional keys.
            Default ``'small'``.
        head_dim (int, optional): overrides the variant's head_dim
            (checkpoint-specific). Default None.
        in_channels (int): input channels. Default 3.
        qkv_bias (bool): bias of the attention qkv projection. Default True.
        drop_rate (float): dropout after ``patch_embed1`` and inside
            MLPs/proj. Default 0.
        attn_drop_rate (float): attention dropout. Default 0.
        drop_path_rate (float): stochastic depth, linear over all blocks of
            all stages. Default 0.
        out_indices (Sequence[int] | int): stages (0-based, negative from
            the end) whose maps are returned. Default ``(3, )``.
        frozen_stages (int): ``-1`` none, ``0`` ``patch_embed1`` only, ``k``
            stages ``1..k`` (their patch embeddings, blocks and output
            norms). Default -1.
        norm_eval (bool): keep BatchNorms in eval mode while training.
            Default False.
        with_cp (bool | Sequence[int]): activation checkpointing. ``True``
            for every block, or one int per stage: the number of leading
            blocks of that stage to checkpoint (the official
            ``checkpoint_num``). Default False.
        act_cfg (dict): activation of the MLPs. Default
            ``dict(type='GELU')``.
        channels_last (bool, optional): memory layout of the computation.
            ``True``: the input is turned channels-last once at the trunk
            entry and every stage computes in it (no layout flips in stages
            1-2; the tokens of stages 3-4 are free views); ``False``: plain
            contiguous (the reference layout); ``None``: channels-last on
            CPU, where it was measured 2x faster for a training step
            (depthwise 3D convs), contiguous elsewhere (not measured yet).
            Returned maps are plainly contiguous ``(B, C, *S)`` either way;
            parameters and math are the same. Trunks whose
            ``supports_channels_last`` is False (light) compute contiguous.
            Default None.
        cpu_kernels (bool): fp32 CPU products of the linear layers and the
            pointwise convs through oneDNN, and the depthwise convs'
            gradients as forward convs
            (:mod:`mmuniformer.models.layers.cpu_kernels`); same math,
            measured faster on CPU. ``False`` uses the plain PyTorch ops.
            Other devices, autocast, tracing and compiling use the plain
            ops either way. Default True.
        pretrained (str, optional): the hosts' shortcut, see
            :func:`pretrained_to_init_cfg`. Default None.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            loads any official or mm-format UniFormer checkpoint through
            :mod:`mmuniformer.checkpoint.adapter` (inflated for 3D).
            Default None.
    """
    ndim: int = 2
    arch_family: str = 'classic'
    allowed_arches: Optional[set] = None
    supports_channels_last: bool = True

    def __init__(self,
                 arch: Union[str, dict] = 'small',
                 head_dim: Optional[int] = None,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: Union[bool, Sequence[int]] = False,
                 act_cfg: dict = dict(type='GELU'),
                 channels_last: Optional[bool] = None,
                 cpu_kernels: bool = True,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=pretrained_to_init_cfg(
            pretrained, init_cfg, type(self).__name__))
        guard_state_dict_loading(self)  # all-or-nothing load_state_dict
        self.arch = self._resolve_arch(arch, head_dim)
        self.depths = self.arch['depths']
        self.embed_dims = self.arch['embed_dims']
        self.head_dim = self.arch['head_dim']
        self.in_channels = in_channels
        self.out_indices = self._check_out_indices(out_indices)
        if not -1 <= frozen_stages <= NUM_STAGES:
            raise ValueError(f'frozen_stages must be in [-1, {NUM_STAGES}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.cp_blocks = self._check_with_cp(with_cp, self.depths)
        self.channels_last = self._check_channels_last(channels_last)
        self.qkv_bias = qkv_bias
        self.drop_rate = drop_rate
        self.attn_drop_rate = attn_drop_rate
        self.act_cfg = act_cfg
        self._min_size = None

        dpr = torch.linspace(0, drop_path_rate, sum(self.depths)).tolist()
        cursor = 0
        for i in range(NUM_STAGES):
            in_ch = in_channels if i == 0 else self.embed_dims[i - 1]
            self.add_module(f'patch_embed{i + 1}', self._build_patch_embed(
                i, in_ch, self.embed_dims[i]))
            self.add_module(f'blocks{i + 1}', nn.ModuleList(
                self._build_block(i, j, dpr[cursor + j])
                for j in range(self.depths[i])))
            cursor += self.depths[i]
        self.pos_drop = nn.Dropout(drop_rate)
        self._build_extra_layers()
        self.cpu_kernels = cpu_kernels
        self._freeze_stages()

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
    def _resolve_arch(self, arch: Union[str, dict],
                      head_dim: Optional[int]) -> dict:
        """The checked arch dict (see :func:`..arch.resolve_arch`)."""
        return resolve_arch(arch, head_dim, self.allowed_arches,
                            family=self.arch_family)

    def _build_patch_embed(self, stage: int, in_channels: int,
                           embed_dims: int) -> nn.Module:
        """Embedding ``patch_embed{stage + 1}`` (``in_channels`` ->
        ``embed_dims``)."""
        raise NotImplementedError(
            f'{type(self).__name__} must define _build_patch_embed')

    def _build_block(self, stage: int, index: int,
                     drop_path: float) -> nn.Module:
        """Block ``index`` of 0-based ``stage`` with stochastic depth
        ``drop_path``: the classic local MHRA block in stages 1-2, the
        global one (window from :meth:`_window_size`) in stages 3-4."""
        dims = self.embed_dims[stage]
        layer_scale = self.arch['layer_scale']
        if stage < 2:
            return LocalMHRABlock(
                self.ndim, dims, self.arch['mlp_ratio'], drop=self.drop_rate,
                drop_path=drop_path, act_cfg=self.act_cfg,
                layer_scale_init=LAYER_SCALE_INIT
                if layer_scale == 'all' else None)
        return GlobalMHRABlock(
            self.ndim, dims, dims // self.head_dim, self.arch['mlp_ratio'],
            qkv_bias=self.qkv_bias, drop=self.drop_rate,
            attn_drop=self.attn_drop_rate, drop_path=drop_path,
            act_cfg=self.act_cfg, window_size=self._window_size(stage, index),
            layer_scale_init=LAYER_SCALE_INIT
            if layer_scale in ('global', 'all') else None)

    def _window_size(self, stage: int, index: int) -> Optional[int]:
        """Attention window of block ``index`` of ``stage`` (None: global)."""
        return None

    def _build_extra_layers(self) -> None:
        """Build the modules that follow the stages (output norms, cls
        token, heads). Called once, after the stages and before freezing."""

    def _extra_stage_modules(self, stage: int) -> List[nn.Module]:
        """Modules besides embedding and blocks frozen with ``stage``."""
        return []

    def _forward_stage(self, stage: int, x: torch.Tensor,
                       state: Any) -> Tuple[torch.Tensor, Any]:
        """Run the blocks of ``stage`` on the embedded map ``x``.

        ``state`` is what the previous stage returned (None before stage
        1); the classic trunk has none and returns it unchanged."""
        for j in range(self.depths[stage]):
            x = self._block_call(stage, j, x)(x)
        return x, state

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

    def _check_channels_last(self, channels_last) -> Optional[bool]:
        if channels_last not in (None, True, False):
            raise ValueError('channels_last must be None (auto), True or '
                             f'False, got {channels_last!r}')
        if not self.supports_channels_last:
            if channels_last:
                raise ValueError(f'{type(self).__name__} computes contiguous '
                                 '(its blocks gather tokens); set '
                                 'channels_last=None or False')
            return False
        return channels_last

    # -- output description -------------------------------------------------
    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Channels of each returned map, in ``out_indices`` order (for a
        neck's ``in_channels`` or a head's)."""
        return tuple(self.embed_dims[i] for i in self.out_indices)

    @property
    def feature_info(self) -> List[dict]:
        """timm-style description of the returned maps, one dict per
        ``out_indices`` entry: ``num_chs`` (channels), ``reduction``
        (spatial stride, nominal: 4, 8, 16, 32; odd sizes are floored, or
        ceiled by conv stems) and ``stage`` (0-based)."""
        return [dict(num_chs=self.embed_dims[i], reduction=4 * 2**i, stage=i)
                for i in self.out_indices]

    # -- input checks -------------------------------------------------------
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
        minimum size) instead of a conv error from deep inside.

        Args:
            x (Tensor): the input.
            layout (str): its expected layout for the message, e.g.
                ``'images of shape (B, C, H, W)'``.
        """
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

    # -- forward ------------------------------------------------------------
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

    def _block_call(self, stage: int, index: int,
                    x: torch.Tensor) -> Callable:
        """Block ``index`` of ``stage`` as a callable: wrapped in activation
        checkpointing when ``with_cp`` asks for it, the model trains and
        the map ``x`` carries gradients."""
        block = getattr(self, f'blocks{stage + 1}')[index]
        if index < self.cp_blocks[stage] and self.training and x.requires_grad:
            return functools.partial(cp.checkpoint, block, use_reentrant=False)
        return block

    def run_stages(self, x: torch.Tensor, last_stage: Optional[int] = None
                   ) -> Tuple[List[torch.Tensor], Any]:
        """Raw output maps of stages ``0..last_stage`` (default the last
        returned one), in the layout chosen by ``channels_last`` (the one
        conversion, at the entry), and the last stage's ``state``."""
        if last_stage is None:
            last_stage = max(self.out_indices)
        fmt = channels_last_format(self.ndim) \
            if self.uses_channels_last(x) else torch.contiguous_format
        x = x.contiguous(memory_format=fmt)
        outs, state = [], None
        for i in range(last_stage + 1):
            x = getattr(self, f'patch_embed{i + 1}')(x)
            if i == 0:
                x = self.pos_drop(x)
            x, state = self._forward_stage(i, x, state)
            outs.append(x)
        return outs, state

    def forward_stages(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Raw output maps of stages ``0..max(out_indices)``."""
        return self.run_stages(x)[0]

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

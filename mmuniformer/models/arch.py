"""Named UniFormer variants and resolution of custom architecture dicts.

Every variant is four stages: stages 1-2 use local (conv) MHRA blocks,
stages 3-4 global (attention) MHRA blocks. ``head_dim`` sets the number of
attention heads per stage (``embed_dims[i] // head_dim``); it changes no
tensor shape, so the right value must be known per checkpoint.
"""
import copy
from typing import Optional, Union

# Layer scale: ``None`` (off), ``'global'`` (attention blocks only, gamma of
# shape (C,), non-token-labeling B+LS) or ``'all'`` (also conv blocks, gamma
# (1, C, 1, 1); token-labeling L+LS). Initial value ``layer_scale_init``.
ARCH_ZOO = {
    'small': dict(depths=(3, 4, 8, 3), embed_dims=(64, 128, 320, 512),
                  head_dim=64, mlp_ratio=4., conv_stem=False,
                  layer_scale=None),
    'small_plus': dict(depths=(3, 5, 9, 3), embed_dims=(64, 128, 320, 512),
                       head_dim=32, mlp_ratio=4., conv_stem=True,
                       layer_scale=None),
    'small_plus_dim64': dict(depths=(3, 5, 9, 3),
                             embed_dims=(64, 128, 320, 512), head_dim=64,
                             mlp_ratio=4., conv_stem=True, layer_scale=None),
    'base': dict(depths=(5, 8, 20, 7), embed_dims=(64, 128, 320, 512),
                 head_dim=64, mlp_ratio=4., conv_stem=False,
                 layer_scale=None),
    'base_ls': dict(depths=(5, 8, 20, 7), embed_dims=(64, 128, 320, 512),
                    head_dim=64, mlp_ratio=4., conv_stem=False,
                    layer_scale='global'),
    'large': dict(depths=(5, 10, 24, 7), embed_dims=(128, 192, 448, 640),
                  head_dim=64, mlp_ratio=4., conv_stem=False,
                  layer_scale='all'),
}
ARCH_ALIASES = {
    's': 'small', 'small': 'small',
    's+': 'small_plus', 'small_plus': 'small_plus', 's_plus': 'small_plus',
    'small_plus_dim64': 'small_plus_dim64',
    'b': 'base', 'base': 'base',
    'base_ls': 'base_ls', 'b_ls': 'base_ls',
    'l': 'large', 'large': 'large', 'large_ls': 'large',
}
REQUIRED_KEYS = ('depths', 'embed_dims', 'head_dim')
DEFAULTS = dict(mlp_ratio=4., conv_stem=False, layer_scale=None)
LAYER_SCALE_INIT = 1e-6


def resolve_arch(arch: Union[str, dict], head_dim: Optional[int] = None,
                 allowed: Optional[set] = None) -> dict:
    """Return a full arch dict from a variant name or a custom dict.

    ``head_dim`` overrides the variant's value (token-labeling S/B
    checkpoints use 32). ``allowed`` restricts the names (the video backbone
    has no conv stem or layer-scale variants).
    """
    if isinstance(arch, str):
        key = ARCH_ALIASES.get(arch.lower())
        if key is None or (allowed is not None and key not in allowed):
            names = sorted(k for k, v in ARCH_ALIASES.items()
                           if allowed is None or v in allowed)
            raise ValueError(f'unknown UniFormer arch {arch!r}; choose one of '
                             f'{names} or pass a dict with {REQUIRED_KEYS}')
        cfg = copy.deepcopy(ARCH_ZOO[key])
    elif isinstance(arch, dict):
        missing = [k for k in REQUIRED_KEYS if k not in arch]
        if missing:
            raise ValueError(f'custom arch dict lacks {missing}; it needs '
                             f'{REQUIRED_KEYS}, got {sorted(arch)}')
        cfg = dict(DEFAULTS)
        cfg.update(copy.deepcopy(arch))
        unknown = set(cfg) - set(REQUIRED_KEYS) - set(DEFAULTS)
        if unknown:
            raise ValueError(f'custom arch dict has unknown keys '
                             f'{sorted(unknown)}')
    else:
        raise TypeError(f'arch must be a str or dict, got {type(arch)}')
    if head_dim is not None:
        if isinstance(arch, dict) and 'head_dim' in arch and \
                int(arch['head_dim']) != int(head_dim):
            raise ValueError(f'head_dim={head_dim} contradicts the custom arch '
                             f'dict\'s head_dim={arch["head_dim"]}; set one')
        cfg['head_dim'] = int(head_dim)
    cfg['depths'] = tuple(int(d) for d in cfg['depths'])
    cfg['embed_dims'] = tuple(int(d) for d in cfg['embed_dims'])
    if len(cfg['depths']) != 4 or len(cfg['embed_dims']) != 4:
        raise ValueError('UniFormer has 4 stages: depths and embed_dims need '
                         f'4 entries, got {cfg["depths"]} / '
                         f'{cfg["embed_dims"]}')
    for dim in cfg['embed_dims'][2:]:
        if dim % cfg['head_dim']:
            raise ValueError(f'embed dim {dim} of an attention stage is not '
                             f'divisible by head_dim {cfg["head_dim"]}')
    if cfg['layer_scale'] not in (None, 'global', 'all'):
        raise ValueError("layer_scale must be None, 'global' or 'all', got "
                         f'{cfg["layer_scale"]!r}')
    return cfg

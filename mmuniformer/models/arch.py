"""Named UniFormer variants, classic and light, and their one resolver.

Every variant is four stages: stages 1-2 use local (conv) MHRA blocks,
stages 3-4 global (attention) MHRA blocks. ``head_dim`` sets the number of
attention heads per stage (``embed_dims[i] // head_dim``); it changes no
tensor shape, so the right value must be known per checkpoint.

Two families share the table:

* ``'classic'`` (``UniFormer``, ``UniFormer3D``, the ImageNet models):
  ``layer_scale`` is ``None`` (off), ``'global'`` (attention blocks only,
  gamma of shape ``(C,)``, non-token-labeling B+LS) or ``'all'`` (also the
  conv blocks, gamma ``(1, C, 1, 1)``; token-labeling L+LS), initial value
  :data:`LAYER_SCALE_INIT`; ``conv_stem`` selects the S+ overlapping stem.
* ``'light'`` (the hourglass XXS / XS): ``layer_scale`` is the initial value
  of gammas in every block (``None``: off); ``prune_ratio`` / ``trade_off``
  give one list per attention stage (3, 4), ratio = kept fraction, ``None``
  = the official lists (:func:`default_prune_ratio`).
"""
import copy
from typing import Optional, Sequence, Tuple, Union

NUM_STAGES = 4
LAYER_SCALE_INIT = 1e-6

ARCH_ZOO = {
    # -- classic -------------------------------------------------------------
    'small': dict(family='classic', depths=(3, 4, 8, 3),
                  embed_dims=(64, 128, 320, 512), head_dim=64, mlp_ratio=4.,
                  conv_stem=False, layer_scale=None),
    'small_plus': dict(family='classic', depths=(3, 5, 9, 3),
                       embed_dims=(64, 128, 320, 512), head_dim=32,
                       mlp_ratio=4., conv_stem=True, layer_scale=None),
    'small_plus_dim64': dict(family='classic', depths=(3, 5, 9, 3),
                             embed_dims=(64, 128, 320, 512), head_dim=64,
                             mlp_ratio=4., conv_stem=True, layer_scale=None),
    'base': dict(family='classic', depths=(5, 8, 20, 7),
                 embed_dims=(64, 128, 320, 512), head_dim=64, mlp_ratio=4.,
                 conv_stem=False, layer_scale=None),
    'base_ls': dict(family='classic', depths=(5, 8, 20, 7),
                    embed_dims=(64, 128, 320, 512), head_dim=64,
                    mlp_ratio=4., conv_stem=False, layer_scale='global'),
    'large': dict(family='classic', depths=(5, 10, 24, 7),
                  embed_dims=(128, 192, 448, 640), head_dim=64, mlp_ratio=4.,
                  conv_stem=False, layer_scale='all'),
    # -- light (hourglass, token pruning) ------------------------------------
    'xxs': dict(family='light', depths=(2, 5, 8, 2),
                embed_dims=(56, 112, 224, 448), head_dim=28, mlp_ratio=3.,
                prune_ratio=None, trade_off=None, layer_scale=None),
    'xs': dict(family='light', depths=(3, 5, 9, 3),
               embed_dims=(64, 128, 256, 512), head_dim=32, mlp_ratio=3.,
               prune_ratio=None, trade_off=None, layer_scale=None),
}
ARCH_ALIASES = {
    's': 'small', 'small': 'small',
    's+': 'small_plus', 'small_plus': 'small_plus', 's_plus': 'small_plus',
    'small_plus_dim64': 'small_plus_dim64',
    'b': 'base', 'base': 'base',
    'base_ls': 'base_ls', 'b_ls': 'base_ls',
    'l': 'large', 'large': 'large', 'large_ls': 'large',
    'xxs': 'xxs', 'xs': 'xs',
}
REQUIRED_KEYS = ('depths', 'embed_dims', 'head_dim')
# defaults of a custom dict's optional keys, per family
DEFAULTS = dict(
    classic=dict(mlp_ratio=4., conv_stem=False, layer_scale=None),
    light=dict(mlp_ratio=3., prune_ratio=None, trade_off=None,
               layer_scale=None))


def default_prune_ratio(depths: Sequence[int]) -> Tuple[tuple, tuple]:
    """The official lists: stage-3 block 0 keeps all tokens, every other
    attention block half of them.

    Args:
        depths (Sequence[int]): blocks per stage (4 entries).
    """
    return ((1., ) + (.5, ) * (depths[2] - 1), (.5, ) * depths[3])


def stage_channels(arch: Union[str, dict],
                   out_indices: Sequence[int] = (0, 1, 2, 3)) -> list:
    """Output channels of the stages ``out_indices`` of ``arch``, e.g. for a
    neck's ``in_channels`` (``stage_channels('small', (1, 2, 3))`` is
    ``[128, 320, 512]``). A built backbone says the same through
    ``out_channels`` / ``feature_info``.

    In an mmengine config the hosts build the backbone and the neck from
    plain dicts, so nothing the backbone knows reaches the neck's dict.
    A config can call this function only through an ``import`` written
    after its ``_base_`` line (mmengine reads a file whose first statement
    is an import as a new-style lazy config, where ``_base_`` is refused;
    the imported function itself is dropped from the config). The shipped
    configs keep literal ``in_channels`` for that reason; the tests check
    them against ``out_channels``.

    Args:
        arch (str | dict): variant name or custom dict, either family.
        out_indices (Sequence[int]): 0-based stages. Default all four.
    """
    if isinstance(arch, str):
        name = ARCH_ALIASES.get(arch.lower())
        family = ARCH_ZOO[name]['family'] if name else 'classic'
    else:
        light_keys = {'prune_ratio', 'trade_off'} & set(arch)
        family = arch.get('family', 'light' if light_keys else 'classic')
    dims = resolve_arch(arch, family=family)['embed_dims']
    return [dims[i] for i in out_indices]


def _names(family: str, allowed: Optional[set]) -> list:
    return sorted(k for k, v in ARCH_ALIASES.items()
                  if ARCH_ZOO[v]['family'] == family
                  and (allowed is None or v in allowed))


def _from_table(arch: str, family: str, allowed: Optional[set]) -> dict:
    key = ARCH_ALIASES.get(arch.lower())
    if key is None or ARCH_ZOO[key]['family'] != family or (
            allowed is not None and key not in allowed):
        what = 'UniFormer' if family == 'classic' else 'light UniFormer'
        hint = ''
        if key is not None and ARCH_ZOO[key]['family'] != family:
            other = 'UniFormerLight*' if family == 'classic' else \
                'UniFormer / UniFormer3D'
            hint = f' ({arch!r} is a {ARCH_ZOO[key]["family"]} variant: ' \
                   f'use {other})'
        raise ValueError(f'unknown {what} arch {arch!r}{hint}; choose one '
                         f'of {_names(family, allowed)} or pass a dict with '
                         f'{REQUIRED_KEYS}')
    return copy.deepcopy(ARCH_ZOO[key])


def _from_dict(arch: dict, family: str) -> dict:
    what = 'custom arch dict' if family == 'classic' else \
        'custom light arch dict'
    missing = [k for k in REQUIRED_KEYS if k not in arch]
    if missing:
        raise ValueError(f'{what} lacks {missing}; it needs {REQUIRED_KEYS}, '
                         f'got {sorted(arch)}')
    if arch.get('family', family) != family:
        raise ValueError(f'{what} is marked family={arch["family"]!r}, but '
                         f'this backbone builds {family!r} variants')
    unknown = set(arch) - set(REQUIRED_KEYS) - set(DEFAULTS[family]) - {
        'family'}
    if unknown:
        raise ValueError(f'{what} has unknown keys {sorted(unknown)}')
    cfg = dict(family=family, **DEFAULTS[family])
    cfg.update(copy.deepcopy(arch))
    return cfg


def _per_stage(value, depths, name) -> Tuple[tuple, tuple]:
    if value is None:
        return default_prune_ratio(depths)
    if len(value) != 2:
        raise ValueError(f'{name} needs one list per attention stage (3 and '
                         f'4), got {value!r}')
    out = []
    for stage, lst in zip((2, 3), value):
        lst = tuple(float(v) for v in lst)
        if len(lst) < depths[stage]:
            raise ValueError(
                f'{name} of stage {stage + 1} has {len(lst)} entries for '
                f'{depths[stage]} blocks: {lst}')
        # extra entries are ignored, as the official video yamls list 8 + 3
        out.append(lst[:depths[stage]])
    return tuple(out)


def _check_pruning(cfg: dict) -> None:
    depths = cfg['depths']
    ratio = _per_stage(cfg['prune_ratio'], depths, 'prune_ratio')
    cfg['prune_ratio'] = ratio
    cfg['trade_off'] = _per_stage(cfg['trade_off'], depths, 'trade_off') \
        if cfg['trade_off'] is not None else ratio
    if any(not 0 < r <= 1 for r in ratio[0] + ratio[1]):
        raise ValueError(f'prune ratios are kept fractions in (0, 1], got '
                         f'{ratio}')
    if depths[2] and ratio[0][0] != 1:
        raise ValueError('stage-3 block 0 must keep all tokens (ratio 1): it '
                         'creates the score the later blocks rank by')
    if depths[2] and ratio[0][-1] == 1 and any(r < 1 for r in ratio[1]):
        raise ValueError('the last stage-3 block must prune (ratio < 1) when '
                         'stage 4 prunes: only a pruning block pools the '
                         'score to the stage-4 grid')


def resolve_arch(arch: Union[str, dict], head_dim: Optional[int] = None,
                 allowed: Optional[set] = None,
                 family: str = 'classic') -> dict:
    """Return a full, checked arch dict from a variant name or custom dict.

    Args:
        arch (str | dict): a name of :data:`ARCH_ZOO` / :data:`ARCH_ALIASES`
            or a dict with ``depths``, ``embed_dims``, ``head_dim`` and
            optionally the family's other keys (see the module docstring);
            a resolved dict is accepted again.
        head_dim (int, optional): overrides the variant's value (token-
            labeling S/B checkpoints use 32). Default None.
        allowed (set, optional): restricts the names (the video backbone
            has no conv stem or layer-scale variants). Default None.
        family (str): ``'classic'`` or ``'light'``. Default ``'classic'``.
    """
    if family not in DEFAULTS:
        raise ValueError(f'family must be one of {sorted(DEFAULTS)}, got '
                         f'{family!r}')
    if isinstance(arch, str):
        cfg = _from_table(arch, family, allowed)
    elif isinstance(arch, dict):
        cfg = _from_dict(arch, family)
    else:
        raise TypeError(f'arch must be a str or dict, got {type(arch)}')
    if head_dim is not None:
        if isinstance(arch, dict) and 'head_dim' in arch and \
                int(arch['head_dim']) != int(head_dim):
            raise ValueError(f'head_dim={head_dim} contradicts the custom arch '
                             f'dict\'s head_dim={arch["head_dim"]}; set one')
        cfg['head_dim'] = int(head_dim)
    cfg['head_dim'] = int(cfg['head_dim'])
    cfg['depths'] = tuple(int(d) for d in cfg['depths'])
    cfg['embed_dims'] = tuple(int(d) for d in cfg['embed_dims'])
    if len(cfg['depths']) != NUM_STAGES or len(cfg['embed_dims']) != 4:
        raise ValueError('UniFormer has 4 stages: depths and embed_dims need '
                         f'4 entries, got {cfg["depths"]} / '
                         f'{cfg["embed_dims"]}')
    for dim in cfg['embed_dims'][2:]:
        if dim % cfg['head_dim']:
            raise ValueError(f'embed dim {dim} of an attention stage is not '
                             f'divisible by head_dim {cfg["head_dim"]}')
    if family == 'light':
        _check_pruning(cfg)
    elif cfg['layer_scale'] not in (None, 'global', 'all'):
        raise ValueError("layer_scale must be None, 'global' or 'all', got "
                         f'{cfg["layer_scale"]!r}')
    return cfg

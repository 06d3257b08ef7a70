"""The official ImageNet classifiers built from their files.

The Grad-CAM tool and the web demo both need "the classifier this official
ImageNet file is": the classic :class:`UniFormerImageClassifier` sized from
the file (class count from ``head.weight``, the token-labeling
``aux_head`` when the file has one) or the light
:class:`UniFormerLightImageClassifier`, loaded completely or not at all.
"""
import os.path as osp
from typing import Optional

from torch import nn

from .convert import unwrap_checkpoint
from .reader import load_checkpoint_file


def build_image_classifier(checkpoint: Optional[str] = None,
                           arch: str = 'small',
                           head_dim: Optional[int] = None) -> nn.Module:
    """The ImageNet classifier of ``arch`` loaded from ``checkpoint``, in
    eval mode.

    Args:
        checkpoint (str, optional): an official ImageNet file (path,
            weights-table name or ``hf://``); None or ``'none'``: random
            weights, 1000 classes. Defaults to None.
        arch (str): a classic (``'small'``, ``'base'``, ...) or light
            (``'xxs'``, ``'xs'``) arch name. Defaults to ``'small'``.
        head_dim (int, optional): the classic models' attention head
            width; a value the file records or the weights table knows
            must agree (it changes no shape, so a wrong one would load
            silently). Defaults to None (the arch's).

    Raises:
        FileNotFoundError: ``checkpoint`` is neither a file nor a name.
        CheckpointMismatchError: the file does not fit ``arch`` (from the
            adapter's ``load_state_dict`` guard, which names the missing and
            unexpected keys).
    """
    import mmuniformer  # noqa: F401  (registry)
    from mmuniformer.models.arch import ARCH_ALIASES, ARCH_ZOO
    from .adapter import check_head_dim
    from .download import resolve_checkpoint
    ckpt = state = None
    if checkpoint is not None and checkpoint.lower() != 'none':
        checkpoint = resolve_checkpoint(checkpoint)  # weights names, hf://
        if '://' not in checkpoint and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'CHECKPOINT {checkpoint} does not '
                                    'exist')
        ckpt = load_checkpoint_file(checkpoint)
        state, _ = unwrap_checkpoint(ckpt, checkpoint)
    if ARCH_ZOO.get(ARCH_ALIASES.get(arch), {}).get('family') == 'light':
        from mmuniformer.models.backbones.light import \
            UniFormerLightImageClassifier
        model = UniFormerLightImageClassifier(arch=arch)
        model.init_weights()
    else:
        from mmuniformer.models import UniFormerImageClassifier
        token_labeling = state is not None and any(
            k.startswith('aux_head.') for k in state)
        num_classes = state['head.weight'].shape[0] \
            if state is not None and 'head.weight' in state else 1000
        model = UniFormerImageClassifier(arch=arch, head_dim=head_dim,
                                         num_classes=num_classes,
                                         token_labeling=token_labeling)
        if state is not None:
            check_head_dim(model.head_dim, ckpt, checkpoint)
    if state is not None:
        # the adapter's load_state_dict guard refuses a file that would
        # leave the model half-loaded, naming every missing / extra key
        model.load_state_dict(state, strict=True)
    return model.eval()

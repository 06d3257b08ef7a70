"""Our data transforms, registered in ``mmuniformer.registry.TRANSFORMS``
(``dict(type='mmuniformer.<Name>')`` in any host's pipeline). Imported
through the registry's ``locations`` when a pipeline is built, never by
``import mmuniformer`` (importing them imports MMAction2). ``token_labels``
imports MMPretrain, so the configs that use it name it in ``custom_imports``."""
from .augment import ClipRandAugment
from .decode import PyAVSeekDecode, PyAVSeekInit
from .loading import DecordDecode, DecordInit

__all__ = ['ClipRandAugment', 'DecordDecode', 'DecordInit', 'PyAVSeekDecode',
           'PyAVSeekInit']

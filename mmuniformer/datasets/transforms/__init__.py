"""Our data transforms, registered in ``mmuniformer.registry.TRANSFORMS``
(``dict(type='mmuniformer.<Name>')`` in any host's pipeline). Imported
through the registry's ``locations`` when a pipeline is built, never by
``import mmuniformer``."""
from .augment import ClipRandAugment
from .decode import PyAVSeekDecode, PyAVSeekInit

__all__ = ['ClipRandAugment', 'PyAVSeekDecode', 'PyAVSeekInit']

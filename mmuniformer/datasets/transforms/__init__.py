"""Data transforms registered as ``mmuniformer.<Name>``; importing this
package imports MMAction2 (first use of the TRANSFORMS registry does)."""
from .loading import DecordDecode, DecordInit

__all__ = ['DecordInit', 'DecordDecode']

"""Data helpers MMAction2 and the other hosts do not provide."""
from .synthetic_motion import (MOTION_CLASSES, make_motion_dataset,
                               render_clip, write_mp4)

__all__ = ['MOTION_CLASSES', 'make_motion_dataset', 'render_clip',
           'write_mp4']

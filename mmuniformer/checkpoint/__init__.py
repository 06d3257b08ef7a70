"""Everything about checkpoint files: safe reading, family detection and
conversion, loading into a model (the adapter), and the pretrained-file
messages."""
from .adapter import (CheckpointMismatchError, UnreadableCheckpointError,
                      adapt_state_dict, load_checkpoint_file, load_pretrained)
from .convert import convert_checkpoint, detect_family

__all__ = ['CheckpointMismatchError', 'UnreadableCheckpointError',
           'adapt_state_dict', 'load_checkpoint_file', 'load_pretrained',
           'convert_checkpoint', 'detect_family']

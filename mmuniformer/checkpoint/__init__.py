"""Everything about checkpoint files, in the order a file goes through it:

* :mod:`.reader`: safe reading and the reasons a file is unreadable;
* :mod:`.convert`: containers, family detection and conversion;
* :mod:`.adapter`: loading into a model, all or nothing (partial only when
  asked for);
* :mod:`.report`: the image demo's load into a host model built without
  weights, reporting what it filled (never backbone-only unless asked);
* :mod:`.classifier`: the official ImageNet classifier a file is (classic,
  token-labeling or light), for the Grad-CAM tool and the web demo;
* :mod:`.weights`: the table of released checkpoints (names, URLs, family,
  arch, head_dim, label order); :mod:`.pretrained` turns it into the
  missing-file message.
"""
from .adapter import (CheckpointMismatchError, adapt_state_dict, check_fill,
                      guard_state_dict_loading, load_as_mm_checkpoint,
                      load_pretrained)
from .classifier import build_image_classifier
from .convert import convert_checkpoint, detect_family
from .reader import (UnreadableCheckpointError, checkpoint_unreadable,
                     load_checkpoint_file, read_checkpoint)
from .report import (BackboneOnlyError, checkpoint_dataset_meta,
                     class_count_hint, load_with_report,
                     quiet_host_weight_messages)
from .weights import WEIGHTS, WeightsEntry, get_weights

__all__ = ['BackboneOnlyError', 'CheckpointMismatchError',
           'UnreadableCheckpointError', 'build_image_classifier',
           'checkpoint_dataset_meta',
           'class_count_hint', 'load_with_report',
           'quiet_host_weight_messages',
           'WEIGHTS', 'WeightsEntry', 'adapt_state_dict', 'check_fill',
           'checkpoint_unreadable', 'convert_checkpoint', 'detect_family',
           'get_weights', 'guard_state_dict_loading', 'load_as_mm_checkpoint',
           'load_checkpoint_file', 'load_pretrained', 'read_checkpoint']

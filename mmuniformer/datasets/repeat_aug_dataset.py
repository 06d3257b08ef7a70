"""MMAction2's ``RepeatAugDataset`` with any frame-indexed decoder pair.

MMAction2 1.2.0's ``RepeatAugDataset`` (decode a video once, augment it
``num_repeats`` times: the official ``AUG.NUM_SAMPLE 2``) asserts that its
first and third transforms are ``DecordInit`` / ``DecordDecode``. Its
``prepare_data`` only needs an opener that sets ``total_frames`` and a
decoder that reads ``frame_inds``; :class:`RepeatAugDataset` here accepts
``mmuniformer.PyAVSeekInit`` / ``mmuniformer.PyAVSeekDecode`` too (issue 19:
they decode each distinct frame once, where decord's ``get_batch`` of the
twice-concatenated indices seeks back for the second copy) and otherwise
is MMAction2's class unchanged. It is registered (with the annotation
checks) as ``mmuniformer.RepeatAugDataset`` in :mod:`.video_dataset`.
"""
from mmaction.datasets import RepeatAugDataset as _MMActionRepeatAug
from mmaction.datasets import VideoDataset


DECODER_PAIRS = {('DecordInit', 'DecordDecode'),
                 ('mmuniformer.PyAVSeekInit', 'mmuniformer.PyAVSeekDecode'),
                 ('PyAVSeekInit', 'PyAVSeekDecode')}


def _type(transform) -> str:
    if isinstance(transform, dict):
        return transform['type'] if isinstance(transform['type'], str) \
            else transform['type'].__name__
    return type(transform).__name__


class AnyDecoderRepeatAugDataset(_MMActionRepeatAug):
    """See the module docstring; the arguments of MMAction2's
    ``RepeatAugDataset`` (``num_repeats`` default 4, ``sample_once``
    default False)."""

    def __init__(self, ann_file, pipeline, data_prefix=dict(video=''),
                 num_repeats: int = 4, sample_once: bool = False,
                 multi_class: bool = False, num_classes=None,
                 start_index: int = 0, modality: str = 'RGB',
                 **kwargs) -> None:
        pair = (_type(pipeline[0]), _type(pipeline[2])) \
            if len(pipeline) > 2 else None
        bare = pair and tuple(p.split('.')[-1] for p in pair)
        if pair not in DECODER_PAIRS and bare not in DECODER_PAIRS:
            raise ValueError(
                f'mmuniformer.RepeatAugDataset: transforms 0 and 2 of the '
                f'pipeline are {pair}; they must be an opener and a '
                f'decoder of frame_inds, one of {sorted(DECODER_PAIRS)} '
                '(transform 1 is the sampler)')
        VideoDataset.__init__(
            self, ann_file, pipeline=pipeline, data_prefix=data_prefix,
            multi_class=multi_class, num_classes=num_classes,
            start_index=start_index, modality=modality, test_mode=False,
            **kwargs)
        self.num_repeats = num_repeats
        self.sample_once = sample_once

"""Heads for the hosts. Each module imports its host (``light_head``:
MMAction2, ``cls_heads``: MMPretrain), so none is imported here and
``import mmuniformer`` needs no host; the configs that use them name the
module in ``custom_imports``."""

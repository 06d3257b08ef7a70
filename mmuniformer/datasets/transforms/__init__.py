"""Data transforms, one module per topic. Each module imports its host
(``token_labels``: MMPretrain), so none is imported here; the configs that
use them name the module in ``custom_imports``."""

"""Version of the mmuniformer package."""
__version__ = '0.1.0'


def parse_version_info(version_str):
    """Split ``'1.2.3rc1'`` into ``(1, 2, 3, 'rc1')``."""
    parts = []
    for piece in version_str.split('.'):
        digits = ''.join(ch for ch in piece if ch.isdigit())
        rest = piece[len(digits):]
        parts.append(int(digits) if digits else 0)
        if rest:
            parts.append(rest)
    return tuple(parts)


version_info = parse_version_info(__version__)

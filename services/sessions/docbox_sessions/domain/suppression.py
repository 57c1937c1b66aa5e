"""The statistics suppression moved to the kit: :mod:`docbox_shared.suppression`.

This name stays only while a parallel branch edits ``release.py``'s imports
(it keeps the merge free of conflicts); import from the kit in new code.
"""

from docbox_shared.suppression import suppress

__all__ = ["suppress"]

"""A page image and its halvings, each computed once.

Locating a page shrinks it to ~75 dpi (and for a phone photo to ~150 dpi too); its annotated
picture shrinks it again. ``cv2.pyrDown`` of a full page costs a millisecond or two each time,
so a page's reading shares one set of halvings.
"""

from __future__ import annotations

import cv2
import numpy as np


class Halvings:
    """``image`` and its ``cv2.pyrDown`` halvings, made on first use."""

    def __init__(self, image: np.ndarray) -> None:
        self._levels = [image]

    def level(self, k: int) -> np.ndarray:
        """The image halved ``k`` times."""
        while len(self._levels) <= k:
            self._levels.append(cv2.pyrDown(self._levels[-1]))
        return self._levels[k]

    def shrink(self, long_side: int) -> tuple[np.ndarray, float]:
        """Halved while the long side exceeds ``long_side`` by half as much again: the copy
        and its scale against the image."""
        k = 0
        while max(self.level(k).shape[:2]) > long_side * 1.45:
            k += 1
        return self.level(k), 0.5**k

    def at_least(self, long_side: int) -> tuple[np.ndarray, float]:
        """The smallest halving whose long side is still ``long_side`` or more (the image
        itself when it is smaller), and its scale."""
        k = 0
        while max(self.level(k).shape[:2]) // 2 >= long_side:
            k += 1
        return self.level(k), 0.5**k

"""The grid lookup's cost as the county's grids grow: 100 vs 10,000 grids."""

from __future__ import annotations

import random
import time

from chalicelib.domain.geo import GridIndex, GridShape

SIZE = 0.004  # degrees: a grid of a few hundred metres, like the demo county's


def lattice(count: int) -> GridIndex:
    side = int(count**0.5)
    grids = []
    for i in range(side):
        for j in range(side):
            x, y = 116.0 + i * SIZE, 35.5 + j * SIZE
            ring = [(x, y), (x + SIZE, y), (x + SIZE, y + SIZE), (x, y + SIZE), (x, y)]
            grids.append(
                GridShape(
                    code=f"G{i:03d}{j:03d}",
                    township=f"T{i // 10}",
                    centroid=(x + SIZE / 2, y + SIZE / 2),
                    polygon=ring,
                )
            )
    return GridIndex(grids)


def lookup_micros(count: int, lookups: int = 20_000) -> float:
    index = lattice(count)
    side = int(count**0.5)
    rng = random.Random(7)
    points = [
        (116.0 + rng.random() * side * SIZE, 35.5 + rng.random() * side * SIZE)
        for _ in range(lookups)
    ]
    started = time.perf_counter()
    for point in points:
        index.containing(point)
    return (time.perf_counter() - started) / lookups * 1e6

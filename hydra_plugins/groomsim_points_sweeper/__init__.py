"""groomsim's Hydra sweeper over a list of points (conf/hydra/sweeper/points.yaml).

Hydra instantiates sweepers only from the ``hydra_plugins`` namespace, hence this package beside
``sim``; docs/sweeps.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

from sim.sweep import read_points


class PointsSweeper(BasicSweeper):
    """Hydra sweeper that runs one job per row of a CSV file (a sample, e.g. a SALib design),
    not the product of value lists: ``python -m sim -m hydra/sweeper=points
    hydra.sweeper.points=sample.csv days=90``. The other overrides apply to every job; job ``i``
    runs in ``<sweep>/point_<i>`` (row order, from 0). Any launcher runs the jobs."""

    def __init__(self, points: str, max_batch_size: int | None = None, params=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.points = points

    def sweep(self, arguments: list[str]) -> Any:
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from omegaconf import OmegaConf

        fixed = [*self._parse_config(), *arguments]
        for o in OverridesParser.create().parse_overrides(fixed):
            if o.is_sweep_override():
                raise ValueError(
                    f"'{o.input_line}': with hydra/sweeper=points every job's values come from "
                    f"{self.points}; give single values on the command line"
                )
        rows = read_points(self.points)
        width = max(4, len(str(len(rows) - 1)))
        jobs = [
            [*fixed, *(f"{k}={v}" for k, v in row.items()), f"hydra.sweep.subdir=point_{i:0{width}d}"]
            for i, row in enumerate(rows)
        ]
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        self.validate_batch_is_legal(jobs)
        results = self.launcher.launch(jobs, initial_job_idx=0)
        for r in results:
            _ = r.return_value  # raises if a job failed
        return [results]

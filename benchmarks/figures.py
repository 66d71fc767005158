"""One measured figure of the issue's Targets table, and the table that lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A figure whose target is an upper bound (every target of issue 4 is `≤`)."""

    name: str
    value: float
    target: float
    detail: str = ""
    unit: str = ""  # "" for a ratio

    @property
    def met(self) -> bool:
        return self.value <= self.target

    def cells(self) -> str:
        fmt = "{:.3f}" if not self.unit else "{:.1f} " + self.unit
        value, target = fmt.format(self.value), fmt.format(self.target)
        verdict = "met" if self.met else "**not met**"
        return f"| {self.name} | {value} | ≤ {target} | {verdict} | {self.detail} |"


def targets_table(figures: list[Figure]) -> str:
    lines = ["| figure | measured | target | verdict | detail |", "|---|---|---|---|---|"]
    return "\n".join([*lines, *(f.cells() for f in figures)])

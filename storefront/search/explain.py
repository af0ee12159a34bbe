"""Why a search ranked its results as it did, for developers (`flask search explain`, and
`/search?explain=1` in development): plain data the engine fills in from the very notes of
the code that computed the scores, and its rendering as lines of text."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExplainedHit:
    """One result: its score, the parts that sum to it, and the tie-breakers after it."""

    listing_id: int
    score: int | None  # None: a sort that ignores relevance
    parts: list[tuple[str, int]] = field(default_factory=list)  # (what matched, weight)
    tiebreaks: list[tuple[str, int]] = field(default_factory=list)  # (column, value)

    @property
    def parts_total(self) -> int:
        return sum(weight for _, weight in self.parts)

    def lines(self) -> list[str]:
        """The breakdown, one line a part, largest first."""
        out = [f"score {self.score}" if self.score is not None else "not scored (sort)"]
        out += [f"  {weight:+d}  {label}" for label, weight in self.parts]
        if self.tiebreaks:
            ties = ", ".join(f"{name} {value}" for name, value in self.tiebreaks)
            out.append(f"  then: {ties}")
        return out


@dataclass
class Explanation:
    """A search explained: how the query was understood, which pass produced the results,
    and each result's score."""

    text: str
    stage: str  # the matching pass that produced the results ("all words", "fuzzy", ...)
    corrected: str | None  # the did-you-mean text run instead, if any
    understood: list[str]  # one line per clause of the query
    total: int
    hits: list[ExplainedHit] = field(default_factory=list)

    def header(self) -> list[str]:
        out = [f"query: {self.text!r}"]
        if self.corrected:
            out.append(f"showing results for: {self.corrected!r}")
        out.append(f"pass: {self.stage or 'no text'}; {self.total} result(s)")
        out += [f"  {line}" for line in self.understood]
        return out

    def by_listing(self) -> dict[int, ExplainedHit]:
        return {hit.listing_id: hit for hit in self.hits}

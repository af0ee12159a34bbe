"""Load products.toml into a fresh index, run queries.toml, print the metrics by kind."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.postgres_index import DEFAULT_URL, open_postgres_index
from bench.relevance.places import resolve
from storefront.search.engine import SearchEngine
from storefront.search.query import ListingDocument, SearchQuery
from storefront.search.whoosh_engine import WhooshSearchIndex

HERE = Path(__file__).parent
TODAY = date(2026, 11, 25)
DEPTH = 10  # results asked for per query


@dataclass
class Outcome:
    kind: str
    text: str
    expected: list[str]
    got: list[str]
    suggestion: str | None
    total: int = 0  # every result, beyond the DEPTH asked for

    @property
    def others(self) -> int:
        """Results besides the labelled products. Not all are wrong (labels name what a
        shopper wants most), but for a product type they mostly are: "turmeric" found
        pottery whose description says "nghệ nhân"."""
        return max(0, self.total - len(set(self.got) & set(self.expected)))

    def recall(self, k: int) -> float:
        if not self.expected:
            return 1.0
        found = len(set(self.got[:k]) & set(self.expected))
        return found / min(k, len(self.expected))

    @property
    def reciprocal_rank(self) -> float:
        for rank, key in enumerate(self.got, start=1):
            if key in self.expected:
                return 1 / rank
        return 0.0


def load_products() -> list[dict]:
    return tomllib.loads((HERE / "products.toml").read_text())["product"]


SETS = {"tuned": "queries.toml", "heldout": "heldout.toml"}


def load_queries(name: str = "tuned") -> list[tuple[str, str, list[str]]]:
    """The labelled queries of one set: "tuned" (queries.toml, the engine was tuned on it)
    or "heldout" (heldout.toml, written before it was run)."""
    data = tomllib.loads((HERE / SETS[name]).read_text())
    return [(kind, text, ids) for kind, queries in data.items() for text, ids in queries.items()]


def documents(products: list[dict]) -> list[ListingDocument]:
    created = datetime(2025, 1, 1, tzinfo=UTC)
    docs = []
    for number, product in enumerate(products, start=1):
        origin = resolve(product["legacy"])
        docs.append(
            ListingDocument(
                listing_id=number,
                name=product["name"],
                product_name=product.get("certified_name", product["name"]),
                cooperative_id=number,
                cooperative_name=product["coop"],
                ocop_group=product["group"],
                stars=product["stars"],
                province_code=origin.province_code,
                commune_code=origin.commune_code,
                place_names=origin.names,
                description=product["description"],
                price=100_000 + 5_000 * number,
                created_at=created + timedelta(days=number),
                expires_on=TODAY + timedelta(days=365),
            )
        )
    return docs


def run(
    kinds: set[str] | None = None,
    query_set: str = "tuned",
    backend: str = "whoosh",
    database_url: str = DEFAULT_URL,
) -> list[Outcome]:
    products = load_products()
    keys = {number: p["id"] for number, p in enumerate(products, start=1)}
    directory = Path(tempfile.mkdtemp(prefix="relevance-"))
    try:
        index: SearchEngine
        if backend == "postgres":
            index, _engine, _kept = open_postgres_index(database_url)
        else:
            index = WhooshSearchIndex(directory, cache_size=0)
        index.rebuild([documents(products)])
        outcomes = []
        for kind, text, expected in load_queries(query_set):
            if kinds and kind not in kinds:
                continue
            result = index.search(SearchQuery(text=text, per_page=DEPTH), TODAY)
            got = [keys[i] for i in result.ids]
            outcomes.append(Outcome(kind, text, expected, got, result.suggestion, result.total))
        index.close()
        return outcomes
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.kind, []).append(outcome)
    groups["overall"] = outcomes
    table = {}
    for kind, items in groups.items():
        n = len(items)
        table[kind] = {
            "queries": n,
            "recall@1": sum(o.recall(1) for o in items) / n,
            "recall@5": sum(o.recall(5) for o in items) / n,
            "mrr": sum(o.reciprocal_rank for o in items) / n,
            "zero": sum(not o.got for o in items) / n,
            "others": sum(o.others for o in items) / n,
        }
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Relevance benchmark of the catalog search")
    parser.add_argument("--failures", action="store_true", help="list queries below recall@5 1")
    parser.add_argument("--kind", action="append", help="only this kind (repeatable)")
    parser.add_argument(
        "--set", choices=sorted(SETS), default="tuned", help="which queries (default: tuned)"
    )
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help="PostgreSQL database for --backend postgres"
    )
    args = parser.parse_args(argv)
    kinds = set(args.kind) if args.kind else None
    outcomes = run(kinds, args.set, args.backend, args.database_url)
    products = len(load_products())
    print(
        f"{args.backend}: {products} products, {len(outcomes)} queries "
        f"({args.set}: {SETS[args.set]})"
    )
    print(f"{'kind':<15} {'queries':>7} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'zero':>6} {'others':>6}")
    for kind, row in summary(outcomes).items():
        print(
            f"{kind:<15} {row['queries']:>7} {row['recall@1']:>6.2f} {row['recall@5']:>6.2f} "
            f"{row['mrr']:>6.2f} {row['zero']:>6.2f} {row['others']:>6.2f}"
        )
    if args.failures:
        print()
        for o in outcomes:
            if o.recall(5) < 1:
                note = f"  (did you mean {o.suggestion!r})" if o.suggestion else ""
                print(f"[{o.kind}] {o.text!r}: want {o.expected}, got {o.got[:5]}{note}")

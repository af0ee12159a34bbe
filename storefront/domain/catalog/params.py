"""Parse the catalog's GET parameters into a search query; bad values are dropped, not fatal."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from storefront.core.inputs import parse_int

SORTS = ("relevance", "newest", "price_asc", "price_desc", "stars", "rating", "best_selling")
MAX_PAGE = 1000
MAX_PRICE = 1_000_000_000  # đồng
MAX_QUERY_LENGTH = 200
STARS = (3, 4, 5)  # the stars of OCOP certificates: the stars filter's values


# The parameters a catalog page reads (parse_catalog_args), with its language and the
# explain switch: all its own links carry. The filters are the ones after "exact".
PAGE_PARAMETERS = (
    "q",
    "sort",
    "page",
    "exact",
    "lang",
    "explain",
    "group",
    "stars",
    "province",
    "commune",
    "coop",
    "price_min",
    "price_max",
    "rating",
)
FILTER_PARAMETERS = PAGE_PARAMETERS[6:]


@dataclass
class CatalogParams:
    text: str = ""
    groups: list[int] = field(default_factory=list)
    stars: list[int] = field(default_factory=list)
    province_codes: list[int] = field(default_factory=list)
    commune_codes: list[int] = field(default_factory=list)
    cooperative_ids: list[int] = field(default_factory=list)
    price_min: int | None = None
    price_max: int | None = None
    min_rating: int | None = None  # buyers' average rating as shown at least this (?rating=4)
    sort: str = "relevance"
    page: int = 1
    exact: bool = False  # "search exactly": never show the results of a corrected text instead
    ignored: list[str] = field(default_factory=list)  # names of parameters that were invalid

    @property
    def has_filters(self) -> bool:
        return self.filter_count > 0

    @property
    def filter_count(self) -> int:
        """How many filter values are chosen (each checked box, each price bound)."""
        return (
            len(self.groups)
            + len(self.stars)
            + len(self.province_codes)
            + len(self.commune_codes)
            + len(self.cooperative_ids)
            + (self.price_min is not None)
            + (self.price_max is not None)
            + (self.min_rating is not None)
        )

    @property
    def rating_bands(self) -> list[int]:
        """The search's rating bands for min_rating: 4 is an average of 4,0 or more."""
        return list(range(self.min_rating, 6)) if self.min_rating is not None else []


def _ints(
    args: MultiDict[str, str], name: str, allowed: range | None, ignored: list[str]
) -> list[int]:
    values = []
    for raw in args.getlist(name)[:50]:
        value = parse_int(raw)
        if value is None or (allowed is not None and value not in allowed):
            ignored.append(name)
            continue
        if value not in values:
            values.append(value)
    return values


def _price(args: MultiDict[str, str], name: str, ignored: list[str]) -> int | None:
    raw = (args.get(name) or "").replace(".", "").replace(",", "").strip()
    if not raw:
        return None
    value = parse_int(raw, high=MAX_PRICE)
    if value is None:
        ignored.append(name)
    return value


def parse_catalog_args(args: MultiDict[str, str], default_sort: str = "newest") -> CatalogParams:
    ignored: list[str] = []
    text = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]
    sort = args.get("sort") or ("relevance" if text else default_sort)
    if sort not in SORTS or (sort == "relevance" and not text):
        if args.get("sort"):
            ignored.append("sort")
        sort = "relevance" if text else default_sort
    raw_page = args.get("page", "1")
    number = parse_int(raw_page)
    if number is None:
        ignored.append("page")
    page = max(1, min(number or 1, MAX_PAGE))
    params = CatalogParams(
        text=text,
        groups=_ints(args, "group", range(1, 7), ignored),
        stars=_ints(args, "stars", range(STARS[0], STARS[-1] + 1), ignored),
        province_codes=_ints(args, "province", range(1, 1000), ignored),
        commune_codes=_ints(args, "commune", range(1, 100_000), ignored),
        cooperative_ids=_ints(args, "coop", None, ignored),
        price_min=_price(args, "price_min", ignored),
        price_max=_price(args, "price_max", ignored),
        min_rating=next(iter(_ints(args, "rating", range(1, 6), ignored)), None),
        sort=sort,
        page=page,
        exact=args.get("exact") == "1",
        ignored=ignored,
    )
    return params

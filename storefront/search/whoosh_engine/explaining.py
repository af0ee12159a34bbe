"""The words of an explanation: a query clause, and a score contribution (matching.Note)."""

from __future__ import annotations

from storefront.search.whoosh_engine.matching import COVER_WEIGHT, Note, PlanClause

# What a lookup in each index field is, as an explanation says it.
FIELD_LABELS = {
    "name": "name (folded)",
    "product": "product type (folded)",
    "place": "origin (folded)",
    "extra": "cooperative, group, English (folded)",
    "body": "description (folded)",
    "name_exact": "name, exact diacritics",
    "other_exact": "other field, exact diacritics",
    "head": "head-noun bonus (name starts with it)",
    "pairs": "pair bonus (side by side in a name)",
    "body_pairs": "pair in the description",
    "place_phrase": "place bonus (whole place name)",
}


def _surface(clause: PlanClause) -> str:
    return " ".join(word.term.surface for word in clause.words)


def describe_clause(clause: PlanClause) -> str:
    """How one clause of the query was understood."""
    understood = clause.clause
    text = f"«{_surface(clause)}»"
    notes = []
    if understood is not None:
        if understood.filler:
            notes.append("shopping filler: dropped, not scored")
        elif understood.dropped:
            notes.append("no listing holds it, no correction: dropped from the required words")
        elif understood.optional:
            notes.append("generic word: not required")
        if understood.decoded:
            notes.append("Telex/VNI keys decoded")
        if understood.english:
            notes.append("English")
        if understood.place:
            notes.append(f"place {understood.place.replace('_', ' ')!r}")
        others = [" ".join(t.surface for t in words) for words in understood.alternatives[1:]]
        if others:
            label = "English →" if understood.english else "also"
            notes.append(f"{label} {', '.join(repr(o) for o in others)}")
    fuzzy = sorted({lookup.text for word in clause.words for lookup in word.lookups if lookup.kind})
    if fuzzy:
        notes.append(f"spelt like/begun: {', '.join(fuzzy)}")
    return f"{text}: {'; '.join(notes)}" if notes else f"{text}: as typed"


def describe_note(note: Note, plan: list[PlanClause]) -> str:
    """What one score contribution is."""
    clause = plan[note.clause]
    if note.lookup is None:
        return f"cover: holds «{_surface(clause)}» ({COVER_WEIGHT} a clause held)"
    lookup = note.lookup
    word = clause.alternatives[note.alternative][note.word].term.surface
    where = FIELD_LABELS.get(lookup.fieldname, lookup.fieldname)
    if lookup.kind:
        where = f"{where}, {lookup.kind} {lookup.text!r}"
    elif "_" in lookup.text:
        where = f"{where} {lookup.text.replace('_', ' ')!r}"
    via = f" as «{word}»" if note.alternative else ""
    return f"«{_surface(clause)}»{via}: {where}"

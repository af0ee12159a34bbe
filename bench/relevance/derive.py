"""Make the derived kinds of queries.toml from its [diacritics] and [partial] queries, once.

    python -m bench.relevance.derive     # rewrites the derived sections at the end of the file

no_diacritics: marks dropped; messy: odd case and spacing; typo: one or two letters wrong in
one word (swapped, dropped, doubled, a neighbour key); telex: words typed with Telex or VNI
keys that the keyboard did not convert ("maatj ong", "nuoc mam81").
"""

from __future__ import annotations

import random
import tomllib
import unicodedata
from pathlib import Path

from storefront.search.analysis import fold

HERE = Path(__file__).parent
MARKER = "# ---- derived by bench/relevance/derive.py: do not edit below ----"
TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
VNI_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
TELEX_LETTERS = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
VNI_LETTERS = {"â": "a6", "ê": "e6", "ô": "o6", "ă": "a8", "ơ": "o7", "ư": "u7", "đ": "d9"}
KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm"


def encode(word: str, telex: bool) -> str:
    """A word as typed with Telex/VNI keys, marks left unconverted, tone key at the end."""
    tone = ""
    letters = []
    for char in unicodedata.normalize("NFD", word):
        if char in TELEX_TONES:
            tone = (TELEX_TONES if telex else VNI_TONES)[char]
        else:
            letters.append(char)
    base = unicodedata.normalize("NFC", "".join(letters))
    table = TELEX_LETTERS if telex else VNI_LETTERS
    return "".join(table.get(c, table.get(c.lower(), c)) for c in base) + tone


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))  # the first letter is rarely wrong
    kind = rng.choice(["swap", "drop", "double", "neighbour"])
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    row = next((r for r in KEYBOARD.split() if word[i] in r), None)
    if row is None:
        return word[:i] + word[i + 1 :]
    j = row.index(word[i])
    near = row[j - 1] if j and (j == len(row) - 1 or rng.random() < 0.5) else row[j + 1]
    return word[:i] + near + word[i + 1 :]


def messy(text: str, rng: random.Random) -> str:
    words = text.split()
    style = rng.randrange(4)
    if style == 0:
        words = [w.upper() for w in words]
    elif style == 1:
        words = [w.capitalize() if rng.random() < 0.5 else w.upper() for w in words]
    elif style == 2:
        words = [w.title() for w in words]
    glue = ["  ", " ", "   ", " , ", " - "]
    out = words[0]
    for word in words[1:]:
        out += rng.choice(glue) + word
    return rng.choice(["", " ", "  "]) + out + rng.choice(["", " ", "  ", "!", "?", "."])


def derive() -> dict[str, dict[str, list[str]]]:
    data = tomllib.loads((HERE / "queries.toml").read_text().split(MARKER)[0])
    base = list(data["diacritics"].items())
    rng = random.Random(2026)
    out: dict[str, dict[str, list[str]]] = {
        "no_diacritics": {},
        "messy": {},
        "typo": {},
        "telex": {},
    }
    for text, ids in base[1::2] + list(data["partial"].items())[:4]:
        out["no_diacritics"][fold(text)] = ids
    for text, ids in rng.sample(base, 35):
        out["messy"][messy(text if rng.random() < 0.6 else fold(text), rng)] = ids
    for text, ids in rng.sample([b for b in base if len(fold(b[0])) >= 8], 40):
        words = fold(text).split() if rng.random() < 0.7 else text.split()
        longest = sorted(range(len(words)), key=lambda k: -len(words[k]))
        k = longest[0] if len(words[longest[0]]) >= 4 else longest[0]
        words[k] = typo(words[k], rng)
        if len(words) > 2 and rng.random() < 0.3 and len(words[longest[1]]) >= 4:
            words[longest[1]] = typo(words[longest[1]], rng)
        out["typo"][" ".join(words)] = ids
    for text, ids in rng.sample(base, 40):
        telex = rng.random() < 0.7
        words = text.split()
        # Every word, or only some: a keyboard that converted part of the query.
        chosen = (
            set(range(len(words)))
            if rng.random() < 0.5
            else set(rng.sample(range(len(words)), max(1, len(words) // 2)))
        )
        typed = [
            encode(w, telex) if i in chosen else (fold(w) if rng.random() < 0.5 else w)
            for i, w in enumerate(words)
        ]
        query = " ".join(typed)
        if query != text:
            out["telex"][query] = ids
    return out


def main() -> None:
    path = HERE / "queries.toml"
    head = path.read_text().split(MARKER)[0].rstrip() + "\n\n" + MARKER + "\n"
    for kind, queries in derive().items():
        head += f"\n[{kind}]\n"
        for text, ids in queries.items():
            quoted = ", ".join(f'"{i}"' for i in ids)
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            head += f'"{escaped}" = [{quoted}]\n'
    path.write_text(head)


if __name__ == "__main__":
    main()

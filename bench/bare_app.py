"""The yardstick: a bare Flask + Jinja page rendering 24 product cards from a list."""

from __future__ import annotations

from flask import Flask

CARDS = [
    {
        "name": f"Vải thiều Lục Ngạn hộp {i}",
        "slug": f"vai-thieu-luc-ngan-{i}",
        "price": 150_000 + i * 1000,
        "stars": 3 + i % 3,
        "origin": "Xã Lục Ngạn, Bắc Ninh",
        "cooperative": "Hợp tác xã Vải thiều Hồng Xuân",
        "image": f"/media/listings/{i:024x}-card.webp",
    }
    for i in range(24)
]

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>OCOP</title></head>
<body><main><h1>Sản phẩm OCOP</h1><ul class="cards">
{% for card in cards %}<li><article class="card">
<img src="{{ card.image }}" alt="{{ card.name }}" width="480" height="360" loading="lazy">
<h3><a href="/products/{{ card.slug }}">{{ card.name }}</a></h3>
<p>{{ "★" * card.stars }} {{ card.stars }} sao OCOP</p>
<p>{{ card.origin }}</p><p>{{ card.cooperative }}</p>
<p>{{ "{:,}".format(card.price).replace(",", ".") }} ₫</p>
</article></li>{% endfor %}
</ul></main></body></html>"""

app = Flask(__name__)
TEMPLATE = app.jinja_env.from_string(PAGE)  # compiled once, as render_template would cache it


@app.get("/")
def cards():
    return TEMPLATE.render(cards=CARDS)

"""What shoppers see of buyers' reviews (issue 16, items 2–4): the product page's average,
count, histogram and pages of reviews; JSON-LD; cards; the "helpful" vote from a public page;
cooperatives' figures; buyers' ratings never labelled or drawn like OCOP stars."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from config import Config
from storefront.extensions import db as _db
from storefront.models import Review, ReviewStatus, ReviewVote
from tests.fixtures.app import count_queries
from tests.fixtures.limits import rate_limited_app
from tests.fixtures.pages import html, without_csrf_token
from tests.fixtures.review_rows import add_review, set_sold

PUBLIC = "public, max-age=0, s-maxage=30, stale-while-revalidate=60"
SAME_SITE = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def reviewed(make):
    """Vải thiều with three visible reviews (5, 4, 4: 4,3 on average), one of them answered
    and one with two photos, one hidden review, and 1 234 sold."""
    coop = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân", slug="htx-hong-xuan")
    vai = make.listing(
        coop=coop,
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu-luc-ngan",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 100}],
    )
    first = add_review(
        vai,
        5,
        "Vải ngọt, cùi dày, giao nhanh.",
        author="Trần T. H.",
        days=1,
        answer="Cảm ơn chị đã ủng hộ HTX!",
        helpful=1,
    )
    photos = add_review(
        vai, 4, "Quả to đều, hơi chua một chút.", author="Lê V. N.", days=2, photos=2, helpful=5
    )
    plain = add_review(vai, 4, "", author="Phạm Q.", days=3)
    hidden = add_review(
        vai, 1, "Quảng cáo: mua vải giá rẻ tại …", author="Spam", status=ReviewStatus.HIDDEN, days=4
    )
    set_sold(vai.id, 1_234)
    return {
        "coop": coop,
        "vai": vai,
        "first": first,
        "photos": photos,
        "plain": plain,
        "hidden": hidden,
    }


def jsonld(page: str) -> dict:
    return json.loads(re.search(r'application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1))


def review_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="review" id="review-(\d+)"', page)]


# --- the product page ------------------------------------------------------------------------


def test_the_product_page_shows_average_count_histogram_and_reviews(client, reviewed):
    page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert '<span class="reviews-summary__number">4,3</span>' in page
    assert "3 đánh giá" in page
    histogram = re.findall(r'<progress class="rating-histogram__bar" max="3" value="(\d)"', page)
    assert histogram == ["1", "2", "0", "0", "0"]  # 5, 4, 3, 2, 1
    assert "Vải ngọt, cùi dày, giao nhanh." in page and "Trần T. H." in page
    assert "Trả lời của HTX Vải thiều Hồng Xuân" in page and "Cảm ơn chị đã ủng hộ HTX!" in page
    assert "Đã mua hàng" in page
    assert "Đã bán 1,2k" in page
    # The hidden review never shows, nor counts.
    assert "Quảng cáo" not in page and "Spam" not in page
    assert f"review-{reviewed['hidden'].id}" not in page
    # Newest first by default.
    assert review_ids(page) == [reviewed[k].id for k in ("plain", "photos", "first")]


def test_the_average_reads_in_english_with_a_decimal_point(client, reviewed):
    page = html(client.get("/products/vai-thieu-luc-ngan?lang=en"))
    assert '<span class="reviews-summary__number">4.3</span>' in page
    assert "3 ratings" in page and "1.2k sold" in page and "Verified purchase" in page


def test_reviews_sort_by_helpfulness_or_show_those_with_photos(client, reviewed):
    helpful = html(client.get("/products/vai-thieu-luc-ngan?reviews=helpful"))
    assert review_ids(helpful) == [reviewed[k].id for k in ("photos", "first", "plain")]
    photos = html(client.get("/products/vai-thieu-luc-ngan?reviews=photos"))
    assert review_ids(photos) == [reviewed["photos"].id]
    # The photos are links to the large picture (no JavaScript), opened in the lightbox.
    assert photos.count('class="review__photo" href="/media/reviews/review') == 2
    assert "data-review-photos" in photos and "data-lightbox" in photos
    # A bad sort falls back to the newest.
    assert review_ids(html(client.get("/products/vai-thieu-luc-ngan?reviews=x&rpage=y"))) == [
        reviewed[k].id for k in ("plain", "photos", "first")
    ]


def test_reviews_come_in_pages_of_links(client, make):
    listing = make.listing(slug="mat-ong", packages=[{"stock": 100}])
    made = [add_review(listing, 5, f"Lần mua thứ {i}", days=i) for i in range(12)]
    first = html(client.get("/products/mat-ong"))
    assert review_ids(first) == [r.id for r in reversed(made)][:10]
    assert 'rel="next" href="/products/mat-ong?rpage=2#reviews"' in first
    assert 'rel="prev"' not in first
    second = html(client.get("/products/mat-ong?rpage=2"))
    assert review_ids(second) == [made[1].id, made[0].id]
    assert 'rel="prev" href="/products/mat-ong#reviews"' in second and 'rel="next"' not in second


def test_a_product_without_reviews_says_so_and_has_no_rating_markup(client, make):
    make.listing(slug="gao-st25")
    page = html(client.get("/products/gao-st25"))
    assert "Chưa có đánh giá nào" in page
    assert "reviews-summary" not in page and "buyer-rating" not in page and "Đã bán" not in page
    data = jsonld(page)
    assert "aggregateRating" not in data and "review" not in data


def test_jsonld_has_an_aggregate_rating_and_the_reviews(client, reviewed):
    data = jsonld(html(client.get("/products/vai-thieu-luc-ngan")))
    assert data["@type"] == "Product"
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.3,
        "bestRating": 5,
        "worstRating": 1,
        "ratingCount": 3,
        "reviewCount": 3,
    }
    first = data["review"][-1]
    assert first["@type"] == "Review"
    assert first["author"] == {"@type": "Person", "name": "Trần T. H."}
    assert first["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert first["reviewBody"] == "Vải ngọt, cùi dày, giao nhanh."
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", first["datePublished"])
    assert all(r["author"]["name"] != "Spam" for r in data["review"])
    # The OCOP stars stay an award, never a rating.
    assert data["award"].startswith("OCOP ")


def test_review_text_is_escaped(client, make):
    listing = make.listing(slug="tra-thai", packages=[{"stock": 10}])
    add_review(listing, 3, "<script>alert(1)</script>", author="<b>X</b>")
    page = html(client.get("/products/tra-thai"))
    assert (
        "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    )
    assert "<b>X</b>" not in page


def test_the_product_page_with_reviews_stays_within_six_queries(client, reviewed, db):
    db.session.remove()  # cold: nothing the test loaded may stand in for the page's queries
    with count_queries(db.engine) as statements:
        assert client.get("/products/vai-thieu-luc-ngan?reviews=photos").status_code == 200
    assert len(statements) <= 6


def test_a_new_review_shows_at_once_on_the_cached_page(app, client, reviewed):
    browser = app.test_client()
    before = browser.get("/products/vai-thieu-luc-ngan")
    assert before.headers["Cache-Control"] == PUBLIC and "Set-Cookie" not in before.headers
    cached = html(browser.get("/products/vai-thieu-luc-ngan"))
    assert without_csrf_token(cached) == without_csrf_token(html(before))
    add_review(reviewed["vai"], 2, "Giao chậm", author="Đỗ M.")
    after = html(browser.get("/products/vai-thieu-luc-ngan"))
    assert "Giao chậm" in after and "4 đánh giá" in after and "3,8" in after


# --- cards and the cooperative page -----------------------------------------------------------


def test_cards_show_the_rating_count_and_sold(client, reviewed, make):
    make.listing(name="Gốm men lam")
    page = html(client.get("/products"))
    card = page.split("Vải thiều Lục Ngạn</a>")[1].split("</article>")[0]
    assert 'class="buyer-rating__value">4,3' in card and "3 đánh giá" in card
    assert "Đã bán 1,2k" in card
    other = page.split("Gốm men lam</a>")[1].split("</article>")[0]
    assert "buyer-rating" not in other and "Đã bán" not in other


def test_the_cooperative_page_shows_its_rating_and_answered_share(client, reviewed):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    hero = page.split('class="coop-hero__facts"')[1].split("</ul>")[0]
    assert "4,3" in hero and "3 đánh giá" in hero
    assert "Đã trả lời 33% đánh giá" in hero  # one of three visible reviews


def test_the_seller_dashboard_shows_rating_and_answered_share(client, auth, reviewed, make):
    from storefront.models import CooperativeMember, MemberRole

    owner = make.user()
    _db.session.add(
        CooperativeMember(cooperative=reviewed["coop"], user=owner, role=MemberRole.OWNER)
    )
    _db.session.commit()
    auth.login(owner)
    page = html(client.get("/seller/"))
    tiles = page.split('class="seller-tiles"')[1].split("</ul>")[0]
    assert "4,3/5" in tiles and "3 đánh giá" in tiles
    assert "33%" in tiles and "Đánh giá đã trả lời" in tiles
    # The answered share leads to the reviews awaiting an answer, marked as work to do.
    assert re.search(
        r'<a class="seller-tile seller-tile--todo" href="/seller/reviews\?show=awaiting">', tiles
    )


# --- buyers' ratings and OCOP stars never share a label or a look ------------------------------


@pytest.mark.parametrize(
    ("lang", "rating_word", "ocop_word"), [("vi", "đánh giá", "sao OCOP"), ("en", "rating", "OCOP")]
)
def test_ratings_and_ocop_stars_never_share_labels(client, reviewed, lang, rating_word, ocop_word):
    def rating_labels(page: str) -> list[str]:
        return re.findall(
            r'<span class="buyer-rating[^"]*">(.*?buyer-rating__count">[^<]*</span>)', page, re.S
        )

    def ocop_labels(page: str) -> list[str]:
        return re.findall(r'class="ocop-stars__text">([^<]*)<', page)

    suffix = "" if lang == "vi" else "?lang=en"
    for url in ("/products", "/products/vai-thieu-luc-ngan"):
        page = html(client.get(url + suffix))
        ratings, ocop = rating_labels(page), ocop_labels(page)
        assert ratings and ocop, url
        for label in ratings:
            assert rating_word in label.lower() and "OCOP" not in label and "★" not in label
            assert "icon--review" in label  # the speech bubble, never the star
        for label in ocop:
            assert ocop_word in label and "đánh giá" not in label and "rating" not in label.lower()
    # The filters: the OCOP stars' group and the buyers' rating's are apart, each its words.
    page = html(client.get("/products" + suffix))
    stars = page.split('facet-rating"')[0].rsplit("<fieldset", 1)[0]
    rating = page.split('facet-rating"')[1].split("</fieldset>")[0]
    legend = re.search(r"<legend>(.*?)</legend>", rating).group(1)
    option = re.search(r'name="rating" value="4"[^>]*>\s*<span>(.*?)</span>', rating, re.S)
    if lang == "vi":
        assert legend == "Đánh giá của người mua" and "Từ 4 sao đánh giá" in option.group(1)
        assert "<legend>Hạng sao OCOP</legend>" in page and "4 sao OCOP" in stars
        sort = re.findall(r'<option value="(rating|best_selling|stars)"[^>]*>([^<]+)<', page)
        assert dict(sort) == {
            "stars": "Hạng sao OCOP",
            "rating": "Đánh giá cao",
            "best_selling": "Bán chạy",
        }
    else:
        assert legend in ("Buyers' rating", "Buyers&#39; rating")
        assert "Rated 4 and up" in option.group(1)
        assert "OCOP" not in option.group(1) and "OCOP" not in legend
    # And they look different: the buyers' rating in its own colour class, never ocop-stars.
    assert "buyer-rating__value" in page and 'class="ocop-stars__on"' in page


# --- the "helpful" vote -----------------------------------------------------------------------


def test_a_first_visit_votes_with_the_token_the_page_fetches(app, client, db, reviewed, csrf_on):
    browser = app.test_client()
    page = html(browser.get("/products/vai-thieu-luc-ngan"))
    review_id = reviewed["first"].id
    form = page.split(f'id="review-{review_id}"')[1].split("</form>")[0]
    assert 'name="csrf_token" value=""' in form and 'data-token-url="/cart/token"' in form
    assert "js/reviews.js" in page
    token = browser.get("/cart/token").get_json()["token"]
    voted = browser.post(
        f"/reviews/{review_id}/helpful",
        data={"csrf_token": token, "next": "/products/vai-thieu-luc-ngan"},
        headers={**SAME_SITE, "Accept": "application/json"},
    )
    assert voted.status_code == 200
    assert voted.get_json()["count"] == 2 and voted.get_json()["label"] == "2 người thấy hữu ích"
    again = browser.post(
        f"/reviews/{review_id}/helpful",
        data={"csrf_token": token},
        headers={**SAME_SITE, "Accept": "application/json"},
    )
    assert again.status_code == 409
    assert again.get_json()["message"] == "Bạn đã đánh dấu đánh giá này là hữu ích rồi."
    db.session.expire_all()
    assert db.session.get(Review, review_id).helpful_count == 2
    assert db.session.scalar(select(func.count(ReviewVote.id))) == 1
    voter = db.session.scalar(select(ReviewVote.voter))
    assert voter.startswith("v:") and len(voter) == 42  # a digest, not the session's key


def test_without_javascript_the_vote_is_confirmed_then_counted(app, client, db, reviewed, csrf_on):
    browser = app.test_client()
    review_id = reviewed["plain"].id
    asked = browser.post(
        f"/reviews/{review_id}/helpful",
        data={"csrf_token": "", "next": "/products/vai-thieu-luc-ngan"},
    )
    assert asked.status_code == 200 and asked.headers["Cache-Control"] == "no-store"
    page = html(asked)
    assert "Đánh dấu đánh giá này là hữu ích?" in page
    assert db.session.scalar(select(func.count(ReviewVote.id))) == 0
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = browser.post(
        f"/reviews/{review_id}/helpful",
        data={"csrf_token": token, "next": "/products/vai-thieu-luc-ngan"},
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"/products/vai-thieu-luc-ngan#review-{review_id}"
    assert "Cảm ơn bạn" in html(browser.get("/products/vai-thieu-luc-ngan"))
    again = browser.post(
        f"/reviews/{review_id}/helpful", data={"csrf_token": token, "next": "https://evil.example/"}
    )
    assert again.status_code == 303 and again.headers["Location"].startswith("/")
    assert "đã đánh dấu đánh giá này là hữu ích" in html(browser.get(again.headers["Location"]))
    db.session.expire_all()
    assert db.session.get(Review, review_id).helpful_count == 1


def test_a_logged_in_customer_votes_once_as_themselves(client, auth, db, reviewed, make):
    customer = make.user()
    auth.login(customer)
    review_id = reviewed["first"].id
    assert client.post(f"/reviews/{review_id}/helpful").status_code == 303
    assert client.post(f"/reviews/{review_id}/helpful").status_code == 303
    assert db.session.scalars(select(ReviewVote.voter)).all() == [f"u:{customer.id}"]


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_a_cross_site_vote_is_refused(app, client, db, reviewed, csrf_on, headers):
    browser = app.test_client()
    token = browser.get("/cart/token").get_json()["token"]
    response = browser.post(
        f"/reviews/{reviewed['first'].id}/helpful", data={"csrf_token": token}, headers=headers
    )
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(ReviewVote.id))) == 0


def test_a_hidden_review_cannot_be_voted_on(client, db, reviewed):
    response = client.post(
        f"/reviews/{reviewed['hidden'].id}/helpful", headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(ReviewVote.id))) == 0


def test_votes_are_rate_limited(app, db, reviewed):
    with rate_limited_app(app, REVIEW_VOTE_RATE_LIMIT="2 per hour") as limited:
        browser = limited.test_client()
        ids = [reviewed[k].id for k in ("first", "photos", "plain")]
        codes = [
            browser.post(
                f"/reviews/{i}/helpful", headers={"Accept": "application/json"}
            ).status_code
            for i in ids
        ]
        assert codes == [200, 200, 429]
        page = html(browser.post(f"/reviews/{ids[2]}/helpful"))
        assert "Bạn đã bình chọn quá nhiều lần" in page
        assert Config.REVIEW_VOTE_RATE_LIMIT  # a production default exists
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ReviewVote.id))) == 2

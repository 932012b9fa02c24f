"""The generated catalog is realistic in size and shape, and the same for the same seed."""

from __future__ import annotations

from collections import Counter

from workloads.catalog.seeding import CATEGORIES, generate


def test_the_same_seed_gives_the_same_catalog_and_another_seed_another() -> None:
    assert generate(300, seed=7) == generate(300, seed=7)
    assert generate(300, seed=7) != generate(300, seed=8)


def test_five_thousand_products_spread_over_a_few_dozen_categories_with_unique_ids() -> None:
    products = generate(5000)
    per_category = Counter(p.details.category for p in products)
    assert 24 <= len(CATEGORIES) <= 48
    assert set(per_category) == {slug for slug, _ in CATEGORIES}
    assert len({p.product_id for p in products}) == 5000
    assert 0 < sum(p.details.featured for p in products) < 500
    assert all(p.price_cents > 0 and p.available >= 0 for p in products)

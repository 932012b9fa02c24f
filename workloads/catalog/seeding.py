"""A realistic catalog, generated: the same products for the same seed, no network, no files.

`generate(products, seed)` gives a few dozen categories (`CATEGORIES`) and `products` products
spread over them unevenly (as shops are), each with a name built from the category's own nouns and
shared adjectives and materials, a description of a few sentences, a featured flag for about one
in forty, and the price and stock inventory will be told (`SeedProduct.price_cents`,
`available`). Product ids are stable (`seed-<category>-<n>`), so seeding again updates in place.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from workloads.catalog.schemas import ProductIn

_NOUNS: dict[str, tuple[str, ...]] = {
    "kitchen": ("Chef's Knife", "Cutting Board", "Saucepan", "Colander", "Whisk", "Skillet"),
    "coffee-tea": ("Pour-Over Kettle", "Burr Grinder", "French Press", "Tea Infuser", "Mug"),
    "tableware": ("Dinner Plate", "Salad Bowl", "Tumbler", "Serving Platter", "Cutlery Set"),
    "bedding": ("Duvet Cover", "Pillowcase Pair", "Fitted Sheet", "Throw Blanket", "Quilt"),
    "bath": ("Bath Towel", "Shower Curtain", "Bath Mat", "Soap Dish", "Robe"),
    "lighting": ("Desk Lamp", "Floor Lamp", "Pendant Light", "String Lights", "Wall Sconce"),
    "furniture": ("Side Table", "Bookshelf", "Armchair", "Bar Stool", "Coffee Table"),
    "storage": ("Storage Basket", "Shoe Rack", "Drawer Organizer", "Wardrobe Box", "Crate"),
    "garden": ("Watering Can", "Pruning Shears", "Raised Bed", "Planter", "Garden Hose"),
    "outdoor": ("Camping Chair", "Cooler Bag", "Hammock", "Picnic Blanket", "Lantern"),
    "tools": ("Cordless Drill", "Hammer", "Screwdriver Set", "Tape Measure", "Spirit Level"),
    "cycling": ("Bike Helmet", "Bike Light", "Saddle Bag", "Floor Pump", "Bike Lock"),
    "running": ("Running Shoe", "Running Vest", "Water Bottle", "Headband", "Running Tights"),
    "fitness": ("Yoga Mat", "Kettlebell", "Resistance Band", "Jump Rope", "Foam Roller"),
    "swimming": ("Swim Goggles", "Swim Cap", "Kickboard", "Swimsuit", "Towel Poncho"),
    "audio": ("Headphones", "Bluetooth Speaker", "Earbuds", "Turntable", "Soundbar"),
    "computing": ("Keyboard", "Mouse", "Monitor Stand", "USB-C Hub", "Laptop Sleeve"),
    "phones": ("Phone Case", "Wireless Charger", "Screen Protector", "Car Mount", "Power Bank"),
    "cameras": ("Camera Strap", "Tripod", "Lens Cloth", "Camera Bag", "Memory Card"),
    "gaming": ("Controller", "Gaming Headset", "Desk Mat", "Controller Stand", "Capture Card"),
    "books": ("Cookbook", "Travel Guide", "Novel", "Field Guide", "Sketchbook"),
    "stationery": ("Notebook", "Fountain Pen", "Pencil Case", "Desk Planner", "Washi Tape"),
    "art-supplies": ("Watercolour Set", "Brush Set", "Easel", "Canvas Pad", "Pastel Set"),
    "toys": ("Building Blocks", "Puzzle", "Plush Bear", "Wooden Train", "Kite"),
    "baby": ("Baby Blanket", "Teether", "Bib Set", "Stacking Cups", "Sleep Sack"),
    "pets": ("Dog Bed", "Cat Scratcher", "Pet Bowl", "Leash", "Chew Toy"),
    "menswear": ("Oxford Shirt", "Chino Trousers", "Wool Sweater", "Rain Jacket", "Belt"),
    "womenswear": ("Linen Dress", "Cardigan", "Wide-Leg Trousers", "Trench Coat", "Scarf"),
    "footwear": ("Leather Boot", "Canvas Sneaker", "Sandal", "Slipper", "Loafer"),
    "bags": ("Backpack", "Tote Bag", "Duffel Bag", "Crossbody Bag", "Wallet"),
    "jewellery": ("Pendant Necklace", "Stud Earrings", "Bangle", "Signet Ring", "Anklet"),
    "watches": ("Field Watch", "Dive Watch", "Watch Strap", "Watch Roll", "Smartwatch Band"),
    "beauty": ("Face Serum", "Hand Cream", "Lip Balm", "Hair Brush", "Body Oil"),
    "pantry": ("Olive Oil", "Sea Salt", "Spice Blend", "Honey Jar", "Pasta Pack"),
    "travel": ("Packing Cubes", "Neck Pillow", "Luggage Tag", "Toiletry Bag", "Carry-On"),
    "cleaning": ("Microfibre Cloth", "Dish Brush", "Spray Bottle", "Broom", "Laundry Bag"),
}
CATEGORIES: tuple[tuple[str, str], ...] = tuple(
    (slug, slug.replace("-", " & " if slug == "coffee-tea" else " ").title()) for slug in _NOUNS
)
_ADJECTIVES = (
    "Classic", "Compact", "Everyday", "Heritage", "Lightweight", "Modern", "Nordic", "Organic",
    "Premium", "Rustic", "Slim", "Sturdy", "Travel", "Vintage", "Weatherproof", "Essential",
)  # fmt: skip
_MATERIALS = (
    "Bamboo", "Ceramic", "Cotton", "Leather", "Linen", "Oak", "Recycled", "Stainless",
    "Walnut", "Wool", "Cork", "Glass", "Canvas", "Copper", "Merino", "Stoneware",
)  # fmt: skip
_COLOURS = ("Black", "Sand", "Sage", "Navy", "Terracotta", "Ivory", "Charcoal", "Ochre")
_PHRASES = (
    "Made to last through daily use.",
    "Designed in small batches and tested in real homes.",
    "Easy to clean and simple to store.",
    "A thoughtful gift that gets used, not shelved.",
    "Backed by a two-year guarantee.",
    "Ships in plastic-free packaging.",
    "Balanced, comfortable and quietly good-looking.",
    "Pairs well with the rest of the range.",
)


@dataclass(frozen=True)
class SeedProduct:
    product_id: str
    details: ProductIn
    price_cents: int
    available: int


def generate(products: int, seed: int = 42) -> list[SeedProduct]:
    """`products` products over `CATEGORIES`, the same list for the same arguments."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    slugs = [slug for slug, _ in CATEGORIES]
    weights = [rng.uniform(0.5, 3.0) for _ in slugs]  # some aisles are longer than others
    counters = dict.fromkeys(slugs, 0)
    generated: list[SeedProduct] = []
    for _ in range(products):
        slug = rng.choices(slugs, weights)[0]
        counters[slug] += 1
        noun = rng.choice(_NOUNS[slug])
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_MATERIALS)} {noun}"
        if rng.random() < 0.4:  # noqa: PLR2004
            name += f", {rng.choice(_COLOURS)}"
        description = f"The {name.split(',')[0].lower()} for {slug.replace('-', ' ')}. " + " ".join(
            rng.sample(_PHRASES, 3)
        )
        generated.append(
            SeedProduct(
                product_id=f"seed-{slug}-{counters[slug]:05d}",
                details=ProductIn(
                    name=name,
                    description=description,
                    category=slug,
                    featured=rng.random() < 0.025,  # noqa: PLR2004
                ),
                price_cents=int(rng.lognormvariate(7.8, 0.9)) // 10 * 10 + 9,
                available=rng.choice((0, 3, 12, 40, 150, 500)),
            )
        )
    return generated

-- The catalog's browse model: products and categories. Price and stock are inventory's; the
-- catalog keeps inventory's last announcement (ProductStocked) only to show and sort by it.
CREATE TABLE categories (
    slug        text        PRIMARY KEY,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Inventory's last word per product, kept even before the catalog lists the product.
CREATE TABLE stock_levels (
    product_id   text        PRIMARY KEY,
    price_cents  integer     NOT NULL CHECK (price_cents >= 0),
    available    integer     NOT NULL CHECK (available >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    product_id   text        PRIMARY KEY,
    name         text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    category     text        NOT NULL REFERENCES categories (slug),
    featured     boolean     NOT NULL DEFAULT false,
    -- copied from stock_levels; NULL until inventory has announced the product
    price_cents  integer     CHECK (price_cents >= 0),
    available    integer     CHECK (available >= 0),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- unpriced products sort after every priced one, in both directions of the price sort
    price_key    bigint      GENERATED ALWAYS AS (coalesce(price_cents, 2147483647)) STORED,
    price_key_desc bigint    GENERATED ALWAYS AS (coalesce(price_cents, -1)) STORED,
    search       tsvector    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A')
        || setweight(to_tsvector('english', description), 'B')
    ) STORED
);
CREATE INDEX products_search ON products USING gin (search);
-- keyset pagination: one index per sort, and per sort within a category
CREATE INDEX products_by_name ON products (name, product_id);
CREATE INDEX products_by_price ON products (price_key, product_id);
CREATE INDEX products_by_price_desc ON products (price_key_desc, product_id);
CREATE INDEX products_by_newest ON products (created_at, product_id);
CREATE INDEX products_category_by_name ON products (category, name, product_id);
CREATE INDEX products_category_by_price ON products (category, price_key, product_id);
CREATE INDEX products_category_by_price_desc ON products (category, price_key_desc, product_id);
CREATE INDEX products_category_by_newest ON products (category, created_at, product_id);
CREATE INDEX products_featured ON products (created_at, product_id) WHERE featured;

-- Cache invalidations Redis could not take (down, or the breaker open): applied by jobs.py once
-- it answers again. A group is a set of cached views (workloads/catalog/browse.py).
CREATE TABLE pending_invalidations (
    cache_group  text        PRIMARY KEY,
    since        timestamptz NOT NULL DEFAULT clock_timestamp()
);

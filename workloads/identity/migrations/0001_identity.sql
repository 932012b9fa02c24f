-- Identity: users, their signing keys and their sessions (refresh-token families).
CREATE TABLE users (
    user_id        uuid        PRIMARY KEY,
    email          text        NOT NULL UNIQUE,  -- lower-cased at the edge
    password_hash  text        NOT NULL,         -- argon2id, parameters in the hash string
    role           text        NOT NULL CHECK (role IN ('customer', 'admin')),
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per signing key. The newest unretired key signs; a key retired by a rotation is still
-- published until every token it signed has expired. The private key is PKCS#8 encrypted with
-- SIGNING_KEY_PASSPHRASE: a database dump alone cannot mint tokens.
CREATE TABLE signing_keys (
    kid            text        PRIMARY KEY,
    private_pem    bytea       NOT NULL,
    public_jwk     jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    retired_at     timestamptz
);

-- A session: every refresh token minted from one login. Revoked on logout or on reuse.
CREATE TABLE refresh_families (
    family_id      uuid        PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users (user_id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text
);

-- Opaque refresh tokens, stored only as SHA-256 digests; `used_at` set by the one rotation
-- each may take part in: a second use is reuse, and revokes the family.
CREATE TABLE refresh_tokens (
    token_hash     bytea       PRIMARY KEY,
    family_id      uuid        NOT NULL REFERENCES refresh_families (family_id),
    issued_at      timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- clientele: finding a verification by its code (auth.VerificationStore).
-- Medusa keeps the code's SHA-256 in auth_verification.provider_metadata as
-- "token_hash" and looks it up without an index; this expression index
-- serves the lookup. It is not unique and changes nothing Medusa reads.
CREATE INDEX IF NOT EXISTS "IDX_clientele_auth_verification_token_hash"
    ON auth_verification USING btree ((provider_metadata->>'token_hash'))
    WHERE deleted_at IS NULL;

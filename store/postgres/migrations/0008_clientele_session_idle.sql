-- clientele: the idle deadline of a cookie session (httpapi's
-- Config.SessionIdleTimeout): when the session ends unless it is used
-- before. NULL: no idle timeout. Expired sessions are swept by expires_at.
ALTER TABLE clientele_session ADD COLUMN IF NOT EXISTS idle_expires_at timestamp with time zone NULL;

// Package postgres is clientele's PostgreSQL backend: one [Store]
// implements every domain store (customer.Store, address.Store,
// group.Store, auth.Store) on uptrace/bun with pgdialect, over pgx's
// database/sql driver. It behaves as store/memory does; store/storetest
// checks both.
//
//	st, err := postgres.Open(ctx, "postgres://app@db/shop")
//	if err != nil { … }
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil { … }
//	addresses, err := address.NewService(st)
//	customers, err := customer.NewService(st, addresses)
//	authn, err := auth.NewService(st, tokens, auth.WithProvider(emailpass.New()))
//
// # Storage
//
// The Store reads and writes Medusa 2.21's own tables, with Medusa's
// columns, types, id prefixes and unique indexes, so clientele and Medusa
// can share a database:
//
//   - customer: unique (email, has_account) among live rows, exact match;
//   - customer_address: at most one is_default_shipping and one
//     is_default_billing row per customer, soft-deleted rows included;
//   - customer_group: unique name among live rows;
//   - customer_group_customer: the membership pivot, with no unique rule
//     (the group service keeps memberships single; reads tolerate the
//     duplicates Medusa databases may hold);
//   - auth_identity: an identity, with app_metadata linking its actors
//     ("customer_id", "user_id");
//   - provider_identity: a way to log in to an identity, unique (entity_id,
//     provider) over all rows, soft-deleted ones included, exact match (a
//     soft-deleted provider identity keeps its pair taken);
//   - auth_password_reset_token: the SHA-256 of each outstanding reset
//     token; a new request deletes the provider identity's other tokens,
//     and a used token is deleted. Rows Medusa soft-deleted are ignored;
//   - auth_verification (auth.VerificationStore): one row per identity and
//     entity (Medusa's partial unique index), holding the SHA-256 of the
//     current code in provider_metadata->>'token_hash' as Medusa does; a
//     new code replaces the old one in one upsert, and a confirmation is
//     one conditional UPDATE.
//   - auth_mfa_factor: MFA factors (auth.MFAStore), at most one pending or
//     enabled factor per identity and provider (Medusa's partial unique
//     index); the TOTP secret is encrypted in provider_metadata;
//   - auth_mfa_recovery_code: the scrypt-kdf hash of each unused recovery
//     code; a used code is deleted, a new set replaces the old.
//
// MFA challenges, which Medusa keeps in its cache, are in
// clientele_mfa_challenge (0010), so that every instance sees them.
// clientele keeps OAuth state in a table of its own,
// clientele_auth_state (key, value bytea, expires_at, created_at): a state
// is deleted when it is taken, and each PutState deletes up to 100
// expired ones.
//
// Deleting a customer or a group deletes its addresses and memberships
// through Medusa's foreign keys (ON DELETE CASCADE); deleting an auth
// identity deletes its provider identities and reset tokens (and MFA
// factors, recovery codes and verifications), and deleting a provider
// identity its reset tokens. Empty strings are stored as NULL and NULL
// reads back as ""; metadata is jsonb, NULL for a nil map; times are
// timestamptz and come back in UTC.
//
// [Migrate] applies the embedded migrations ([Migrations]) in one
// transaction and records them in the table clientele_migrations:
//
//   - 0001_medusa_customer.sql creates Medusa's customer tables, indexes
//     and foreign keys when they are missing (CREATE … IF NOT EXISTS, and
//     foreign keys only when pg_constraint lacks them). On a database
//     Medusa has migrated it changes nothing.
//   - 0002_clientele_customer_indexes.sql is clientele's addition: the
//     pg_trgm extension, one GIN trigram index per column that q searches
//     (IDX_clientele_<table>_<column>_trgm: customer's company_name,
//     first_name, last_name, email and phone; customer_address's
//     address_name, company, first_name, last_name, address_1, address_2,
//     city, province and postal_code; customer_group's name) and a btree
//     index on lower(email) (IDX_clientele_customer_email_lower) for
//     case-insensitive email lookups. None is unique: Medusa databases may
//     hold emails that differ only in case.
//   - 0003_medusa_auth.sql creates Medusa's auth tables (auth_identity,
//     provider_identity, auth_password_reset_token, auth_mfa_factor,
//     auth_mfa_recovery_code, auth_verification), their indexes and
//     foreign keys when they are missing, as 0001 does for the customer
//     tables; on a database Medusa has migrated it changes nothing.
//   - 0004_clientele_auth.sql is clientele's addition to them: a btree
//     index on lower(entity_id) of provider_identity
//     (IDX_clientele_provider_identity_entity_id_lower, not unique), for
//     the case-insensitive lookup of a login's entity id, and the table
//     clientele_auth_state with an index on expires_at.
//   - 0005_clientele_sessions.sql creates clientele_session, the table of
//     session.Store: server-side cookie sessions keyed by the SHA-256
//     of the cookie value, so a session can be revoked.
//   - 0006_clientele_throttle.sql creates clientele_throttle, the table of
//     throttle.Store: one counter per rule and hashed subject, counted by
//     a single upsert per hit, outside any unit of work. It is UNLOGGED (no
//     WAL flush per hit): a crash of the server or a failover to a standby
//     starts every count again.
//   - 0007_clientele_revocation.sql creates clientele_token_revocation
//     and clientele_refresh_token; 0008_clientele_session_idle.sql adds
//     the sessions' idle deadline.
//   - 0009_clientele_verification.sql adds a btree index on the code's
//     hash in auth_verification (IDX_clientele_auth_verification_token_hash,
//     on provider_metadata->>'token_hash' of live rows, not unique), which
//     Medusa looks up without one.
//   - 0010_clientele_mfa.sql creates clientele_mfa_challenge (a login's
//     MFA challenge: methods, expiry, attempts, completion; deleted with
//     its identity, expired rows purged by later inserts) and adds
//     mfa_completed_at to clientele_refresh_token.
//   - 0011_clientele_outbox.sql creates clientele_outbox, the
//     transactional outbox (outbox.Store): one row per event, written in
//     the transaction of its change, claimed by dispatchers with FOR
//     UPDATE SKIP LOCKED and a lease (claimed_by, claimed_until), the data
//     of events that carry secrets only sealed (sealed, key_id) and only
//     until delivered; delivered rows are purged in batches.
//   - 0012_clientele_audit.sql creates clientele_audit, the audit log.
//   - 0013_clientele_customer_count.sql keeps the number of live
//     customers in clientele_customer_count (see Counting below).
//   - 0014_clientele_customer_created_at.sql adds a btree index on the
//     live customers' (created_at, id)
//     (IDX_clientele_customer_created_at, not unique), from which keyset
//     pages by created_at start (see Queries below).
//
// Building the indexes on a large existing table blocks writes to it for
// the duration (CREATE INDEX inside the migration's transaction); create
// them beforehand with CREATE INDEX CONCURRENTLY under the same names to
// avoid that, and Migrate will find them. Creating pg_trgm takes a role
// allowed to (the database owner, since pg_trgm is a trusted extension),
// or create it beforehand.
//
// The trigram indexes cost writes: with them, inserting 1,000 customers
// takes about twice as long as with Medusa's indexes alone. New entries
// wait in each GIN index's pending list until (auto)vacuum merges them;
// after a bulk import, run VACUUM ANALYZE on the tables so that searches
// do not scan long pending lists (and PostgreSQL does not shun the
// indexes meanwhile).
//
// # Queries
//
// q is an ILIKE '%word%' per searched column, OR-ed per word and AND-ed
// across words, which PostgreSQL serves with a BitmapOr over the trigram
// indexes. The search patterns are inlined into the SQL, so every search
// gets a plan made for its terms: a parameterised search would get a
// generic plan after five runs of a prepared statement, and generic plans
// cannot use trigram indexes (10-2000x slower).
//
// The operator filters (store.StringFilter, store.TimeFilter) are
// parameterised conditions that the indexes serve: = ANY and <> ALL for
// lists (the primary key, the lower(email) index for a customer's email,
// which compares case-insensitively), LIKE and ILIKE with the caller's
// pattern (the column's trigram index; a statement with a pattern runs in
// QueryExecModeExec, so PostgreSQL plans it for its pattern, as a search),
// comparisons in byte order (COLLATE "C", as lists sort; ids in the
// column's own collation, which the primary key serves and which orders
// Medusa's ids alike). Legacy empty strings are filtered as NULL. And and Or
// are nested conditions, relation filters (groups, customers) an EXISTS
// over live memberships.
//
// Lists sort with id as the last key (text columns in COLLATE "C", an
// empty string as NULL, NULL last ascending and first descending). A cursor
// (store.ListOptions After or Before) becomes the condition that keeps the
// rows past it, written to reproduce that order exactly, NULLs included:
// k1 past v1 OR (k1 = v1 AND (k2 past v2 OR …)), the last key being the id.
// In id order it is id > $1, which the primary key serves, so a page costs
// the same at any depth (page 500 of 10,000 customers: 0.2 ms against
// 2.5 ms by OFFSET; page 40,000 of a million: 0.4 ms against 1.1 s). A Before page reads the reversed order and turns
// the rows back. When the first key cannot be NULL (created_at, updated_at)
// the condition also starts with the range it implies, k1 >= v1 (<=
// descending), so that an index on that key starts its scan at the cursor:
// customer lists by created_at, either direction, read
// IDX_clientele_customer_created_at from the cursor on (backward
// descending, with an incremental sort by id of the rows that share a
// created_at), and a page costs the same at any depth (page 40,000 of a
// million: 0.3 ms either way, as in id order, against 156 and 182 ms
// before). Its cost grows only with the number of customers that
// share the cursor's created_at (those created in one call). There is no
// such index on updated_at: every update changes it, and an index on it
// would deny every update of a customer the cheap in-place (HOT) path;
// lists by updated_at, and by created_at with soft-deleted rows
// (WithDeleted, which the partial index leaves out), read and sort the
// rows past the cursor.
//
// customer.Service.ListPage and ListAndCount read the page and its count
// in one statement: the count, as store.ListOptions.Count asks, is a
// one-row subquery that the page joins LATERAL (so an empty page still
// carries it). An exact count is count(*); a capped one counts over a
// LIMIT cap+1 subquery; an estimate of an unfiltered list is the
// planner's own (pg_class.reltuples per page times the table's current
// pages, times the share of live rows in pg_stats), and that of a filtered
// list the row estimate of EXPLAIN, which runs as a statement of its own.
// A search's exact or capped count is a window count beside the page.
//
// An auth identity list reads the page of identities, then the live
// provider identities of all of them with one more query (served by
// Medusa's index on auth_identity_id). Filters on entity ids and providers
// are an EXISTS over live provider identities (Medusa's unique index on
// (entity_id, provider)); the app_metadata filter is JSON containment
// (app_metadata @> the filter, so a nested object or array in the filter
// matches a stored value that contains it).
//
// Every other statement is SQL with $n parameters and a stable text, so
// that pgx prepares it once per connection and PostgreSQL plans it once;
// for a lookup by id that halves the time, since planning a query on a
// table with ten indexes costs about as much as running it. Writes pass
// one array per column and unnest them (INSERT … SELECT * FROM
// unnest($1::text[], …), UPDATE … FROM unnest(…)), one statement however
// many rows: 1,000 customers go in within 15% of the time COPY takes. An
// auth identity and its provider identities go in with one statement
// (WITH … INSERT … INSERT). bun provides the row models, the scanning of
// rows and the transactions.
//
// # Counting
//
// A list or count of every live customer, with no filter (the total of
// the admin's customer list), does not count the rows: statement
// triggers on customer (AFTER INSERT, UPDATE, DELETE, TRUNCATE, with
// transition tables) append the change in the number of live customers
// of each statement that changes it to clientele_customer_count, in the
// statement's own transaction, and the count is the sum of that table's
// rows. The sum is exact in every snapshot, as count(*) is, whoever writes
// the table: Medusa's inserts, soft deletes, restores and deletes count
// like clientele's, and a rolled-back change leaves nothing. Writers only
// append, so concurrent writers never wait for one another on the count;
// every 16th row folds the committed rows that no other transaction holds
// (DELETE … RETURNING over FOR UPDATE SKIP LOCKED, then one INSERT of their
// sum) into one row, so a read sums a handful of rows. Only writers in
// READ COMMITTED (PostgreSQL's default, clientele's and Medusa's) fold:
// under REPEATABLE READ or SERIALIZABLE the fold could fail the writer
// with a serialization error, so those writers only append. For 10,000
// customers that is 0.03 ms of PostgreSQL's time instead of 0.5 to 0.9 ms
// for an index-only count(*), and it does not grow with the customers.
// The cost is on writes: about one small INSERT per statement that
// changes the number of live customers (an UPDATE that does not is
// counted, 0, and writes nothing). The triggers run as the role that
// writes customer, which must be allowed to insert into, delete from and
// truncate clientele_customer_count; their functions' search_path is
// pinned to the schema the migration ran in, so a writer with another
// search_path that names the table with its schema counts too. A TRUNCATE
// of customer empties the count. The page of such a list selects the
// sum in the same statement. Every other count (filters, q, soft-deleted
// rows included) runs count(*) as before.
//
// # Bulk imports
//
// The bulk imports (customer.Service.Import,
// auth.Service.ImportPasswordIdentities) write their batches with COPY in
// binary format ([Store.ImportCustomers], [Store.ImportAuthIdentities]):
// one statement per table and batch, with a fifth of the allocations of
// the array INSERTs for a batch of 5,000 customers with their addresses,
// and from 1.07 to 1.6 times their rows per second in our runs (the
// indexes to maintain take most of the time). COPY runs on pgx's connection
// below the unit of work's transaction (database/sql's Conn.Raw), which is
// why [Store.InTx] takes a connection of its own from the pool for each
// unit. Where that connection is not pgx's (a driver.Connector that wraps
// pgx's and does not hand it out), the imports write with the INSERTs.
// Keeping clientele's trigram indexes up to date costs more than the rest
// of a large load: examples/seed drops them during its load and builds
// them after.
//
// # Exec modes
//
// [Open] keeps pgx's default mode, QueryExecModeCacheStatement (a DSN may
// choose another with default_query_exec_mode). A host that passes its
// own *bun.DB to [New] should build it on pgx's stdlib driver in that mode
// too. Every other mode works (the tests run in each), but parses and
// plans every statement again: a lookup by id takes about twice as long. With pgx the Store runs
// its searches and pattern filters in QueryExecModeExec whatever the default, so their
// one-off texts do not crowd the statement cache. Behind PgBouncer in
// transaction mode (before 1.21), use cache_describe or exec, which
// prepare no named statement. Other database/sql drivers are not
// supported: the Store passes Go slices as PostgreSQL arrays and reads
// pgx's errors.
//
// # Query hooks and tracing
//
// The Store's statements run below bun (bun would inline their
// arguments), so the query hooks of a *bun.DB see only BEGIN, COMMIT and
// ROLLBACK. Give hooks to the Store instead, with [WithQueryHook]: it runs
// them around every statement, with the statement's text (placeholders,
// string constants redacted) and without its arguments, which hold
// emails, password hashes and token digests. Package otelclientele's
// QueryHook traces them with OpenTelemetry, as children of the request's
// span. A pgx tracer (pgx.ConnConfig.Tracer) sees the arguments: a host
// that uses one must keep them out of its traces itself.
//
// # Read replicas
//
// A Store may read from a streaming replica of its database (a hot
// standby): [WithReplica] for [Open], [WithReplicaDB] (or
// [NewWithReplica]) for pools the host builds. Writes, units of work and every read that security or
// correctness depends on stay on the primary; the replica serves only
// reads whose staleness costs a caller an older view of the data:
//
//   - on the replica: the lists and counts of Medusa's customer tables
//     (customer, customer_address, customer_group, customer_group_customer),
//     that is the retrieves and lists of customers, addresses, groups and
//     memberships, made outside a unit of work by a context that has not
//     written;
//   - always on the primary: every statement in a unit of work ([Store.InTx]:
//     the services read there what they then write, with row locks); locked
//     reads (ListOptions.Lock, LockCustomers); the group gate HasMembership
//     (a customer just removed from a group must lose access at once); and
//     every read of the auth tables and of clientele's own: identities and
//     provider identities (a login reads the password hash and the actor
//     links there, so an old password or a deleted link must not work
//     once changed), "tokens valid after" times, refresh tokens, sessions,
//     throttle counters (an UNLOGGED table, which a standby cannot read),
//     reset tokens, OAuth state, MFA factors, challenges and recovery
//     codes, verification codes, the outbox and the audit log.
//
// The choice is made per table inside the Store: any statement not routed
// to the replica on purpose runs on the primary.
//
// Read-your-writes. A replica applies the primary's changes with a lag, so
// a request that writes and then reads could miss its own change. Give
// each request (or job) a context from
// [github.com/clientele/clientele/store.ReadYourWrites]; httpapi's handler
// does, and [github.com/clientele/clientele/httpapi.ReadYourWrites] wraps
// a host's own routes. Every write through the Store that may touch a
// table the replica serves, and every unit of work (committed or not),
// records itself in that context
// ([github.com/clientele/clientele/store.MarkWritten]); from then on the
// request's reads go to the primary. A context without a marker never
// switches: its reads outside a unit may come from the replica even right
// after its own write.
//
// Lag. A replica applies the primary's changes after a replay lag: on a
// healthy streaming replica on the same network, milliseconds; but a
// paused or disconnected standby, a long recovery conflict or a burst of
// writes can make it minutes. The Store bounds it ([WithMaxLag], default
// [DefaultReplicaMaxLag], 1 second): at most every half bound, one read
// measures the replica's lag (0 while it streams and has replayed all it
// received, else the time since the last transaction it replayed), and
// the replica serves reads only while that measure, less than half a
// bound old, is within half the bound. A read the replica serves thus
// shows the primary as it was at most about the bound earlier; another
// request may see a customer, address or group list that lacks a change
// committed within that time. A replica that lags more, that cannot be
// measured (down, unreachable) or that is not a standby serves nothing
// until a later measure vouches for it again: the reads go to the primary,
// so the replica's failure costs the primary load, not errors. (Open
// fails if the replica is unreachable at start.) The measure trusts the
// standby's view: one that has not yet noticed it lost its primary
// (wal_receiver_timeout, 60 seconds by default) still reports itself
// caught up; keep wal_receiver_timeout within the staleness the
// application tolerates. WithMaxLag(0) removes
// the bound, for a host that takes a lagging replica out of service
// itself (pg_stat_replication's replay_lag on the primary, or now() -
// pg_last_xact_replay_timestamp() on the standby).
//
// Fallback. A read the replica could not serve runs again on the primary,
// once, and its caller sees only the primary's answer (a list is
// emptied of the rows the replica sent before it failed): a query the
// standby cancels for a conflict with WAL replay ("canceling statement
// due to conflict with recovery", SQLSTATE 40001 or 40P01; 57P04 for a
// dropped database; see max_standby_streaming_delay), and a replica that
// is down, restarting or unreachable (a connection refused, reset or
// lost, class 08, 57P01 admin_shutdown, 57P02, 57P03 cannot_connect_now,
// 57P05, 53300 too_many_connections). The replica is then out of service
// as if a measure had failed: reads go to the primary for half the bound,
// after which one read measures it again; so a dead replica costs one
// failed attempt per half bound, not one per read. Without a bound
// (WithMaxLag(0)) there is no measure to wait for: each such read tries
// the replica, then the primary. The read's own errors are not retried:
// its context cancelled or expired, the statement timeout (57014, an
// error matching [ErrStatementTimeout]), an error in the statement, its
// arguments or its scan. [Store.ReplicaStats] counts the fallbacks, by
// cause, for a host's metrics; a query hook ([WithQueryHook]) sees both
// attempts, the replica's with its error.
//
// # Errors
//
// Errors from PostgreSQL are translated where they leave the Store:
//
//   - a unique violation of one of Medusa's unique indexes becomes a
//     *store.ConflictError with Medusa's message, e.g. "Customer with
//     email: a@b.c, has_account: false, already exists." or "Provider
//     identity with entity_id: a@b.c, provider: emailpass, already
//     exists.", the values taken from the error's detail (its Err is nil:
//     the services set their domain sentinel);
//   - a foreign key violation becomes a *store.NotFoundError naming the
//     missing customer ("Customer"), group ("CustomerGroup"), auth
//     identity ("AuthIdentity") or provider identity ("ProviderIdentity");
//     ReplaceResetToken reports a missing provider identity the same way;
//   - TakeResetToken and TakeState report a missing (or, for a state,
//     expired) row with a *store.NotFoundError;
//   - a serialization failure or a deadlock becomes an error wrapping
//     store.ErrConflict: retrying the operation may succeed;
//   - when ctx is cancelled or expires, the error wraps ctx.Err();
//   - anything else is wrapped with the operation's name, e.g.
//     "postgres: list customers: …".
//
// # Concurrency
//
// A Store is safe for concurrent use; every method is atomic on its own
// (one statement, or one transaction). [Store.InTx] runs a unit of work in
// one transaction at the database's default isolation level (READ
// COMMITTED unless configured otherwise); calls made with the context it
// hands to its function run in that transaction, and a nested InTx joins
// it. A unit belongs to the Store that began it: another Store, even on
// the same *bun.DB, does not join it. ListOptions.Lock and LockCustomers
// lock rows with SELECT … FOR UPDATE until the unit ends; LockCustomers
// locks in id order, so concurrent callers do not deadlock.
//
// The auth store's single-use operations are one DELETE … RETURNING each
// (TakeResetToken, TakeState): of concurrent takes of one token or state,
// exactly one gets it. ReplaceResetToken locks the provider identity's row
// before it deletes the older tokens, so concurrent requests for one
// identity leave exactly one token. Concurrent registrations of one
// (entity_id, provider) pair are settled by Medusa's unique index: one
// insert succeeds, the others fail with a conflict. Functions
// registered with store.AfterCommit run after the commit, in the calling
// goroutine.
package postgres

import Hypertune
import Logging
import PostgresNIO

/// The schema of a Hypertune PostgreSQL database, as named migrations applied in order on open.
/// A released migration is never edited; a change of schema is a new migration appended here.
/// Each migration runs in its own transaction under an advisory lock (processes opening a new
/// database together apply it once) and is recorded in `hypertune_migrations`.
///
/// The tables mirror `SQLiteSchema`'s, with JSONB for structured values (updated in place by
/// `jsonb_set`) and each study's revision counter in its row (see ``PostgresStorage``).
enum PostgresSchema {
    static let migrations: [(identifier: String, sql: [String])] = [
        ("v1: studies, trials, revisions", [
            """
            CREATE TABLE hypertune_studies (
                id BIGSERIAL PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                directions JSONB NOT NULL,
                user_attributes JSONB NOT NULL DEFAULT '{}',
                system_attributes JSONB NOT NULL DEFAULT '{}',
                created_at DOUBLE PRECISION NOT NULL,
                revision BIGINT NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE hypertune_trials (
                id BIGSERIAL PRIMARY KEY,
                study_id BIGINT NOT NULL REFERENCES hypertune_studies(id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAILED')),
                parameters JSONB NOT NULL DEFAULT '{}',
                distributions JSONB NOT NULL DEFAULT '{}',
                "values" JSONB,
                intermediate_values JSONB NOT NULL DEFAULT '{}',
                user_attributes JSONB NOT NULL DEFAULT '{}',
                system_attributes JSONB NOT NULL DEFAULT '{}',
                fail_reason TEXT,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                heartbeat_at DOUBLE PRECISION,
                worker TEXT,
                revision BIGINT NOT NULL,
                UNIQUE (study_id, number)
            )
            """,
            "CREATE INDEX hypertune_trials_by_revision ON hypertune_trials (study_id, revision)",
            "CREATE INDEX hypertune_trials_by_state ON hypertune_trials (study_id, state, number)",
        ]),
        // Starting a trial in one round trip: the server bumps the study's revision (locking its
        // row until commit), applies the limit, then claims the oldest enqueued trial or numbers a
        // new one. No row when the limit is reached or there is no such study.
        ("v2: start a trial in one statement", [
            """
            CREATE FUNCTION hypertune_start_trial(p_study BIGINT, p_limit BIGINT, p_worker TEXT, p_now DOUBLE PRECISION)
            RETURNS SETOF hypertune_trials LANGUAGE plpgsql AS $$
            DECLARE
                v_revision BIGINT;
                v_count BIGINT;
                v_waiting BIGINT;
                v_trial hypertune_trials%ROWTYPE;
            BEGIN
                UPDATE hypertune_studies SET revision = revision + 1 WHERE id = p_study RETURNING revision INTO v_revision;
                IF NOT FOUND THEN RETURN; END IF;
                SELECT COALESCE(MAX(number) + 1, 0) INTO v_count FROM hypertune_trials WHERE study_id = p_study;
                IF p_limit IS NOT NULL AND
                   v_count - (SELECT COUNT(*) FROM hypertune_trials WHERE study_id = p_study AND state = 'WAITING') >= p_limit THEN
                    RETURN;
                END IF;
                SELECT id INTO v_waiting FROM hypertune_trials WHERE study_id = p_study AND state = 'WAITING' ORDER BY number LIMIT 1;
                IF FOUND THEN
                    UPDATE hypertune_trials SET state = 'RUNNING', started_at = p_now, heartbeat_at = p_now, worker = p_worker, revision = v_revision
                    WHERE id = v_waiting RETURNING * INTO v_trial;
                ELSE
                    INSERT INTO hypertune_trials (study_id, number, state, started_at, heartbeat_at, worker, revision)
                    VALUES (p_study, v_count, 'RUNNING', p_now, p_now, p_worker, v_revision) RETURNING * INTO v_trial;
                END IF;
                RETURN NEXT v_trial;
            END
            $$
            """,
        ]),
    ]

    /// An arbitrary key for the migrations' advisory lock.
    static let lockKey: Int64 = 0x4879_7065_7274_756E

    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { c in
            try await c.query("BEGIN", logger: logger)
            do {
                try await c.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
                try await c.query("CREATE TABLE IF NOT EXISTS hypertune_migrations (identifier TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())", logger: logger)
                var applied = Set<String>()
                for try await identifier in try await c.query("SELECT identifier FROM hypertune_migrations", logger: logger).decode(String.self) { applied.insert(identifier) }
                for migration in migrations where !applied.contains(migration.identifier) {
                    for statement in migration.sql { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                    try await c.query("INSERT INTO hypertune_migrations (identifier) VALUES (\(migration.identifier))", logger: logger)
                }
                try await c.query("COMMIT", logger: logger)
            } catch {
                _ = try? await c.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}

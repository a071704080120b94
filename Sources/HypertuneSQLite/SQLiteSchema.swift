import GRDB

/// The schema of a Hypertune SQLite file, as named migrations applied in order when a file is
/// opened. A released migration is never edited: a change of schema is a new migration appended
/// here (GRDB records which ones a file has had).
///
/// - `studies`: one row per study; directions and attributes as JSON.
/// - `trials`: one row per trial; parameters, distributions, values, intermediate values and
///   attributes as JSON (read and written whole, in one transaction, by this process's code
///   only); times as seconds since 2001-01-01 (`Date`'s own reference, so they round-trip
///   exactly); `revision`, the revision-counter value of the trial's last write.
/// - `revision`: the one-row revision counter.
///
/// Indexes serve the queries the storage runs: a study's trials changed since a revision, its
/// trials by state (claiming a waiting trial, counting started ones, finding stale running ones),
/// and a study by name.
public enum SQLiteSchema {
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: studies, trials, revisions") { db in
            try db.execute(sql: """
                CREATE TABLE studies (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    directions TEXT NOT NULL,
                    user_attributes TEXT NOT NULL DEFAULT '{}',
                    system_attributes TEXT NOT NULL DEFAULT '{}',
                    created_at REAL NOT NULL
                );
                CREATE TABLE trials (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAILED')),
                    parameters TEXT NOT NULL DEFAULT '{}',
                    distributions TEXT NOT NULL DEFAULT '{}',
                    "values" TEXT,
                    intermediate_values TEXT NOT NULL DEFAULT '{}',
                    user_attributes TEXT NOT NULL DEFAULT '{}',
                    system_attributes TEXT NOT NULL DEFAULT '{}',
                    fail_reason TEXT,
                    started_at REAL,
                    finished_at REAL,
                    heartbeat_at REAL,
                    worker TEXT,
                    revision INTEGER NOT NULL,
                    UNIQUE (study_id, number)
                );
                CREATE INDEX trials_by_revision ON trials (study_id, revision);
                CREATE INDEX trials_by_state ON trials (study_id, state, number);
                CREATE TABLE revision (value INTEGER NOT NULL);
                INSERT INTO revision (value) VALUES (0);
                """)
        }
        return migrator
    }
}

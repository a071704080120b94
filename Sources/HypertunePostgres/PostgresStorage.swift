import Foundation
import Hypertune
import Logging
import PostgresNIO

/// Studies and trials in a PostgreSQL database (`postgresql://user:password@host:port/database`):
/// many workers on many machines share a study.
///
/// Nothing but the database coordinates the workers. Every operation is one transaction, and
/// each transaction that writes to a study first bumps the study row's revision counter: the row
/// lock it takes serialises the study's writers until commit, so claiming an enqueued trial,
/// numbering a new one and the trial limit are exact, and revisions are committed in increasing
/// order (history reads fetch only the trials stamped since the last read, as
/// `SQLiteStorage` does). Updates of a running trial — parameters, reports, heartbeats, its
/// end — are single statements, one round trip each, so the lock is held only for the
/// statement. Schema migrations are named, ordered and applied on open under an
/// advisory lock, so that processes opening a new database together apply each once.
///
/// The connection pool runs as long as the storage lives.
public final class PostgresStorage: Storage, @unchecked Sendable {
    /// The URL, without its password.
    public let description: String
    let client: PostgresClient
    private let runner: Task<Void, Never>
    private let cache = TrialRevisionCache()
    private let pending = HeldBackWrites()
    private static let logger = Logger(label: "hypertune.postgres")

    /// Connects to the database a URL names and brings its schema up to date.
    /// - Throws: ``StorageError`` (`.backend`) with the server's reason when it cannot.
    public init(url: String) async throws {
        let parsed = try Self.parse(url)
        description = parsed.redacted
        let configuration = PostgresClient.Configuration(host: parsed.host, port: parsed.port, username: parsed.user,
                                                         password: parsed.password, database: parsed.database, tls: .disable)
        try await Self.checkConnection(parsed, redacted: parsed.redacted)
        let client = PostgresClient(configuration: configuration)
        self.client = client
        runner = Task { await client.run() }
        do {
            try await Self.translating(description) { try await PostgresSchema.migrate(client, logger: Self.logger) }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit { runner.cancel() }

    /// Connects once, directly, so that an unreachable server, a refused login or a missing
    /// database is one clear error within `timeout` — the pool would retry for about a minute and
    /// then report only that it gave up.
    static func checkConnection(_ p: (user: String, password: String?, host: String, port: Int, database: String, redacted: String),
                                redacted: String, timeout: Duration = .seconds(10)) async throws {
        var configuration = PostgresConnection.Configuration(host: p.host, port: p.port, username: p.user, password: p.password,
                                                             database: p.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(Int64(timeout.components.seconds))
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
        } catch let error as PSQLError {
            let reason: String
            if let message = error.serverInfo?[.message] {
                reason = message
            } else if let underlying = error.underlying {
                reason = Self.describe(underlying)
            } else {
                reason = "\(error.code)"
            }
            throw StorageError(.backend, "cannot connect to PostgreSQL at \(p.host):\(p.port) (\(redacted)): \(reason)")
        } catch {
            throw StorageError(.backend, "cannot connect to PostgreSQL at \(p.host):\(p.port) (\(redacted)): \(Self.describe(error))")
        }
    }

    /// A network error as a person would say it (`connection refused`), else its description.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("refused") || text.contains("errno: 111") { return "connection refused (is the server running, on this port?)" }
        if text.lowercased().contains("timeout") || text.contains("timedOut") { return "no answer within the connection time-out" }
        if text.contains("NXDOMAIN") || text.contains("resolve") || text.contains("getaddrinfo") { return "unknown host" }
        return text
    }

    /// The parts of a `postgresql://` URL.
    static func parse(_ url: String) throws -> (user: String, password: String?, host: String, port: Int, database: String, redacted: String) {
        guard let components = URLComponents(string: url), ["postgresql", "postgres"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw StorageError(.invalidValue, "'\(url)' is not a PostgreSQL URL (postgresql://user:password@host:port/database)")
        }
        let user = components.user ?? "postgres", port = components.port ?? 5432
        let database = String(components.path.drop { $0 == "/" })
        let redacted = "postgresql://\(user)\(components.password == nil ? "" : ":***")@\(host):\(port)/\(database)"
        return (user, components.password, host, port, database.isEmpty ? user : database, redacted)
    }

    // MARK: Running operations

    static func translating<T>(_ where: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StorageError {
            throw error
        } catch let error as PSQLError {
            let reason = error.serverInfo?[.message] ?? "\(error.code)"
            throw StorageError(.backend, "PostgreSQL \(`where`): \(reason)")
        } catch {
            let text = String(describing: error)
            if text.contains("CircuitBreaker") || text.contains("connectionCreation") {
                throw StorageError(.backend, "PostgreSQL \(`where`): cannot reach the server (new connections keep failing)")
            }
            throw StorageError(.backend, "PostgreSQL \(`where`): \(text)")
        }
    }

    /// Whether `error` says the connection was closed under the operation: the server was
    /// restarted, or its backend terminated, while the pool still held the connection.
    static func isLostConnection(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        return error.code == .serverClosedConnection || error.code == .uncleanShutdown
    }

    /// How many times an operation that may safely run again is tried on a lost connection (the
    /// pool replaces a closed connection with a new one).
    static let attemptsOnLostConnection = 3

    /// Runs `body`, a read (or anything that may run twice), again when its connection turns
    /// out to have been closed: a pooled connection killed while idle fails its next query.
    static func retryingLostConnection<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where attempt < attemptsOnLostConnection && isLostConnection(error) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(20 * attempt))
            }
        }
    }

    /// Runs `body` in one transaction. A connection lost before `COMMIT` was sent leaves nothing
    /// behind (the server rolls the transaction back), so the transaction runs again on a new
    /// connection; one lost during `COMMIT` may have committed, and is reported as such.
    func transaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.translating(description) {
            try await Self.retryingLostConnection {
                try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: Self.logger)
                    let result: T
                    do {
                        result = try await body(connection)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: Self.logger)
                        throw error
                    }
                    do {
                        try await connection.query("COMMIT", logger: Self.logger)
                    } catch where Self.isLostConnection(error) {
                        // Not retried (this error is not a lost connection to `retryingLostConnection`).
                        throw StorageError(.backend, "PostgreSQL \(description): the connection was lost during COMMIT; the change may or may not have been applied")
                    }
                    return result
                }
            }
        }
    }

    /// Bumps study `id`'s revision, locking its row until the transaction ends; nil when there is
    /// no such study.
    static func nextRevision(_ c: PostgresConnection, study id: Int) async throws -> Int64? {
        let rows = try await c.query("UPDATE hypertune_studies SET revision = revision + 1 WHERE id = \(id) RETURNING revision", logger: logger)
        for try await revision in rows.decode(Int64.self) { return revision }
        return nil
    }

    static func first<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, _ type: T.Type) async throws -> T? {
        for try await value in rows.decode(T.self) { return value }
        return nil
    }

    // MARK: Studies

    static let studyColumns = "id, name, directions::text, user_attributes::text, system_attributes::text, created_at"

    static func study(_ rows: PostgresRowSequence) async throws -> [StudyRecord] {
        var studies: [StudyRecord] = []
        for try await (id, name, directions, user, system, created) in rows.decode((Int, String, String, String, String, Double).self) {
            studies.append(StudyRecord(id: id, name: name, directions: try StoredJSON.decode([StudyDirection].self, directions),
                                       userAttributes: try StoredJSON.decode([String: JSONValue].self, user),
                                       systemAttributes: try StoredJSON.decode([String: JSONValue].self, system),
                                       createdAt: Date(timeIntervalSinceReferenceDate: created)))
        }
        return studies
    }

    public func createStudy(name: String, directions: [StudyDirection], loadIfExists: Bool) async throws -> StudyRecord {
        guard !directions.isEmpty else { throw StorageError(.invalidValue, "study '\(name)': at least one direction is needed") }
        let directionsText = try StoredJSON.string(directions), now = Date().timeIntervalSinceReferenceDate
        return try await transaction { c in
            // Inserted unless the name is taken (a concurrent creator waits on the unique index).
            if let created = try await Self.study(c.query("""
                INSERT INTO hypertune_studies (name, directions, created_at) VALUES (\(name), \(directionsText)::jsonb, \(now))
                ON CONFLICT (name) DO NOTHING RETURNING \(unescaped: Self.studyColumns)
                """, logger: Self.logger)).first {
                return created
            }
            let rows = try await c.query("SELECT \(unescaped: Self.studyColumns) FROM hypertune_studies WHERE name = \(name)", logger: Self.logger)
            guard let record = try await Self.study(rows).first else { throw StorageError(.backend, "study '\(name)' vanished while being created") }
            guard loadIfExists else { throw StorageError(.studyExists, "a study named '\(name)' already exists") }
            guard record.directions == directions else {
                throw StorageError(.studyExists, "study '\(name)' exists with directions \(record.directions.map(\.rawValue)), not \(directions.map(\.rawValue))")
            }
            return record
        }
    }

    public func study(named name: String) async throws -> StudyRecord? {
        try await transaction { c in
            try await Self.study(c.query("SELECT \(unescaped: Self.studyColumns) FROM hypertune_studies WHERE name = \(name)", logger: Self.logger)).first
        }
    }

    public func allStudies() async throws -> [StudyRecord] {
        try await transaction { c in
            try await Self.study(c.query("SELECT \(unescaped: Self.studyColumns) FROM hypertune_studies ORDER BY id", logger: Self.logger))
        }
    }

    public func deleteStudy(id: Int) async throws {
        try await flush(nil)
        try await transaction { c in
            guard try await Self.first(c.query("DELETE FROM hypertune_studies WHERE id = \(id) RETURNING id", logger: Self.logger), Int.self) != nil else {
                throw StorageError(.studyNotFound, "no study with id \(id)")
            }
        }
        cache.forget(study: id)
    }

    public func setStudyAttribute(studyID: Int, key: String, value: JSONValue, system: Bool) async throws {
        let text = try StoredJSON.string(value), column = system ? "system_attributes" : "user_attributes"
        try await transaction { c in
            let updated = try await Self.first(c.query("""
                UPDATE hypertune_studies SET \(unescaped: column) = jsonb_set(\(unescaped: column), ARRAY[\(key)], \(text)::jsonb)
                WHERE id = \(studyID) RETURNING id
                """, logger: Self.logger), Int.self)
            guard updated != nil else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        }
    }

    // MARK: Trials

    static let trialColumns = """
        id, study_id, number, state, parameters::text, distributions::text, "values"::text, intermediate_values::text,
        user_attributes::text, system_attributes::text, fail_reason, started_at, finished_at, heartbeat_at, worker
        """

    static func trials(_ rows: PostgresRowSequence) async throws -> [FrozenTrial] {
        var trials: [FrozenTrial] = []
        for try await row in rows { trials.append(try trial(row.makeRandomAccess(), offset: 0)) }
        return trials
    }

    /// The trial in `trialColumns` order from column `offset` on.
    static func trial(_ r: PostgresRandomAccessRow, offset o: Int) throws -> FrozenTrial {
        func date(_ i: Int) throws -> Date? { try r[o + i].decode(Double?.self).map(Date.init(timeIntervalSinceReferenceDate:)) }
        let stateText = try r[o + 3].decode(String.self)
        guard let state = TrialState(rawValue: stateText) else { throw StorageError(.backend, "unknown trial state '\(stateText)'") }
        return FrozenTrial(
            id: try r[o].decode(Int.self), studyID: try r[o + 1].decode(Int.self), number: try r[o + 2].decode(Int.self), state: state,
            parameters: try StoredJSON.decode([String: ParameterValue].self, r[o + 4].decode(String.self)),
            distributions: try StoredJSON.decode([String: Distribution].self, r[o + 5].decode(String.self)),
            values: try r[o + 6].decode(String?.self).map { try StoredJSON.decode([Double].self, $0) },
            intermediateValues: try StoredJSON.decode([Int: Double].self, r[o + 7].decode(String.self)),
            userAttributes: try StoredJSON.decode([String: JSONValue].self, r[o + 8].decode(String.self)),
            systemAttributes: try StoredJSON.decode([String: JSONValue].self, r[o + 9].decode(String.self)),
            failReason: try r[o + 10].decode(String?.self), startedAt: try date(11), finishedAt: try date(12),
            heartbeatAt: try date(13), worker: try r[o + 14].decode(String?.self))
    }

    /// The number of the study's trials: one more than the largest number (numbers run from 0
    /// without gaps), found in the `(study_id, number)` index rather than counted.
    static func trialCount(_ c: PostgresConnection, _ studyID: Int) async throws -> Int {
        try await first(c.query("SELECT COALESCE(MAX(number) + 1, 0)::bigint FROM hypertune_trials WHERE study_id = \(studyID)", logger: logger), Int.self) ?? 0
    }

    static func trial(_ c: PostgresConnection, id: Int) async throws -> FrozenTrial {
        guard let t = try await trials(c.query("SELECT \(unescaped: trialColumns) FROM hypertune_trials WHERE id = \(id)", logger: logger)).first else {
            throw StorageError(.trialNotFound, "no trial with id \(id)")
        }
        return t
    }

    public func startTrial(studyID: Int, limit: Int?, worker: String?) async throws -> FrozenTrial? {
        // One statement (the server-side function of migration v2), so one round trip.
        let now = Date().timeIntervalSinceReferenceDate
        let started = try await Self.translating(description) {
            try await Self.trials(client.query("""
                SELECT \(unescaped: Self.trialColumns) FROM hypertune_start_trial(\(studyID), \(limit), \(worker), \(now))
                """, logger: Self.logger)).first
        }
        guard let trial = started else {
            // The limit, or no such study.
            let exists = try await Self.translating(description) {
                try await Self.first(client.query("SELECT id FROM hypertune_studies WHERE id = \(studyID)", logger: Self.logger), Int.self) != nil
            }
            guard exists else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
            return nil
        }
        pending.started(trial)
        return trial
    }

    public func enqueueTrial(studyID: Int, parameters: [String: ParameterValue], userAttributes: [String: JSONValue]) async throws -> FrozenTrial {
        let system = try StoredJSON.string([FrozenTrial.fixedParametersKey: JSONValue.object(parameters.mapValues(\.json))])
        let user = try StoredJSON.string(userAttributes)
        return try await transaction { c in
            guard let revision = try await Self.nextRevision(c, study: studyID) else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
            let number = try await Self.trialCount(c, studyID)
            guard let t = try await Self.trials(c.query("""
                INSERT INTO hypertune_trials (study_id, number, state, user_attributes, system_attributes, revision)
                VALUES (\(studyID), \(number), 'WAITING', \(user)::jsonb, \(system)::jsonb, \(revision)) RETURNING \(unescaped: Self.trialColumns)
                """, logger: Self.logger)).first else { throw StorageError(.backend, "the enqueued trial was not stored") }
            return t
        }
    }

    // Updates of a running trial are one statement each (one round trip, its own transaction):
    // a common table expression bumps the study's revision — locking its row until the statement
    // commits — and the update stamps the trial with it, only if the trial is RUNNING. No row
    // back means nothing was updated; `diagnose` then says why.

    /// The trial's columns as an update returns them.
    static let returning = trialColumns.split(separator: ",").map { "t." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    func updated(_ query: PostgresQuery) async throws -> FrozenTrial? {
        try await Self.translating(description) { try await Self.trials(client.query(query, logger: Self.logger)).first }
    }

    // MARK: Held-back writes

    /// One trial's held-back values as JSON objects to merge (`||`) into its columns: a
    /// parameter set here overwrites one of the same name written meanwhile by another process
    /// (none does: a trial's parameters are its worker's).
    static func merged(_ writes: HeldBackWrites.TrialWrites?) throws -> (parameters: String, distributions: String, reports: String) {
        guard let writes else { return ("{}", "{}", "{}") }
        var parameters: [String: ParameterValue] = [:], distributions: [String: Distribution] = [:]
        for p in writes.parameters {
            parameters[p.name] = p.value
            distributions[p.name] = p.distribution
        }
        return (try StoredJSON.string(parameters), try StoredJSON.string(distributions),
                try StoredJSON.string(Dictionary(uniqueKeysWithValues: writes.reports.map { (String($0.key), $0.value) })))
    }

    /// Writes the held-back values of `trialIDs` (all when nil), one statement per trial. A trial
    /// that no longer runs loses its values; the error is raised by its next operation.
    func flush(_ trialIDs: [Int]?) async throws {
        try await pending.whileWriting { try await flushTaken(trialIDs) }
    }

    private func flushTaken(_ trialIDs: [Int]?) async throws {
        for (id, writes) in pending.take(trialIDs).sorted(by: { $0.key < $1.key }) {
            let held = try Self.merged(writes)
            let set = try await updated("""
                WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                           WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(id) AND state = 'RUNNING') RETURNING revision)
                UPDATE hypertune_trials t SET revision = s.revision,
                    parameters = t.parameters || \(held.parameters)::jsonb, distributions = t.distributions || \(held.distributions)::jsonb,
                    intermediate_values = t.intermediate_values || \(held.reports)::jsonb
                FROM s WHERE t.id = \(id) AND t.state = 'RUNNING'
                RETURNING \(unescaped: Self.returning)
                """)
            if set == nil {
                let t = try await Self.translating(description) { try await transaction { c in try await Self.trial(c, id: id) } }
                pending.postpone(StorageError(.trialNotRunning, "held-back values: trial \(t.number) is \(t.state.rawValue), not RUNNING"), for: id)
            }
        }
    }

    private func scheduleFlush() {
        pending.ensureFlusher { [weak self] in try? await self?.flush(nil) }
    }

    /// Throws why an update of running trial `id` changed nothing.
    func diagnose(_ id: Int, _ what: String) async throws -> Never {
        let t = try await trial(id: id)
        throw StorageError(.trialNotRunning, "\(what): trial \(t.number) is \(t.state.rawValue), not RUNNING")
    }

    public func setParameter(trialID: Int, name: String, value: ParameterValue, distribution: Distribution) async throws {
        if try pending.setParameter(trialID, name, value: value, distribution: distribution) {
            scheduleFlush()
            return
        }
        let (valueText, distributionText) = (try StoredJSON.string(value), try StoredJSON.string(distribution))
        // Set unless already drawn: the common case is one statement.
        let set = try await updated("""
            WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                       WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(trialID) AND state = 'RUNNING') RETURNING revision)
            UPDATE hypertune_trials t SET parameters = jsonb_set(t.parameters, ARRAY[\(name)], \(valueText)::jsonb),
                distributions = jsonb_set(t.distributions, ARRAY[\(name)], \(distributionText)::jsonb), revision = s.revision
            FROM s WHERE t.id = \(trialID) AND t.state = 'RUNNING' AND NOT (t.distributions ? \(name))
            RETURNING \(unescaped: Self.returning)
            """)
        if set != nil { return }
        let t = try await trial(id: trialID)
        guard t.state == .running else { throw StorageError(.trialNotRunning, "set parameter '\(name)': trial \(t.number) is \(t.state.rawValue), not RUNNING") }
        if let existing = t.distributions[name], existing != distribution {
            throw StorageError.parameterConflict(name, trial: t.number, drawnFrom: existing, not: distribution)
        }
    }

    public func reportIntermediateValue(trialID: Int, step: Int, value: Double) async throws {
        if pending.report(trialID, step: step, value: value) {
            scheduleFlush()
            return
        }
        let set = try await updated("""
            WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                       WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(trialID) AND state = 'RUNNING') RETURNING revision)
            UPDATE hypertune_trials t SET intermediate_values = jsonb_set(t.intermediate_values, ARRAY[\(String(step))], \(StoredJSON.number(value))::jsonb),
                revision = s.revision
            FROM s WHERE t.id = \(trialID) AND t.state = 'RUNNING'
            RETURNING \(unescaped: Self.returning)
            """)
        if set == nil { try await diagnose(trialID, "report step \(step)") }
    }

    public func setTrialAttribute(trialID: Int, key: String, value: JSONValue, system: Bool) async throws {
        try await flush([trialID])
        let text = try StoredJSON.string(value)
        if system {
            // In any state.
            let set = try await updated("""
                WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                           WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(trialID)) RETURNING revision)
                UPDATE hypertune_trials t SET system_attributes = jsonb_set(t.system_attributes, ARRAY[\(key)], \(text)::jsonb), revision = s.revision
                FROM s WHERE t.id = \(trialID)
                RETURNING \(unescaped: Self.returning)
                """)
            if set == nil { throw StorageError(.trialNotFound, "no trial with id \(trialID)") }
            return
        }
        let set = try await updated("""
            WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                       WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(trialID) AND state = 'RUNNING') RETURNING revision)
            UPDATE hypertune_trials t SET user_attributes = jsonb_set(t.user_attributes, ARRAY[\(key)], \(text)::jsonb), revision = s.revision
            FROM s WHERE t.id = \(trialID) AND t.state = 'RUNNING'
            RETURNING \(unescaped: Self.returning)
            """)
        if set == nil { try await diagnose(trialID, "set user attribute '\(key)'") }
    }

    public func heartbeat(trialID: Int) async throws {
        if let error = pending.takeDeferredError(trialID) { throw error }
        let set = try await pending.whileWriting { () -> FrozenTrial? in
            let held = try Self.merged(pending.take([trialID])[trialID])
            return try await updated("""
                WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                           WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(trialID) AND state = 'RUNNING') RETURNING revision)
                UPDATE hypertune_trials t SET heartbeat_at = \(Date().timeIntervalSinceReferenceDate), revision = s.revision,
                    parameters = t.parameters || \(held.parameters)::jsonb, distributions = t.distributions || \(held.distributions)::jsonb,
                    intermediate_values = t.intermediate_values || \(held.reports)::jsonb
                FROM s WHERE t.id = \(trialID) AND t.state = 'RUNNING'
                RETURNING \(unescaped: Self.returning)
                """)
        }
        if set == nil { try await diagnose(trialID, "heartbeat") }
    }

    @discardableResult
    public func finishTrial(id: Int, state: TrialState, values: [Double]?, failReason: String?) async throws -> FrozenTrial {
        guard state.isFinished else { throw StorageError(.invalidValue, "a trial can only finish as COMPLETE, PRUNED or FAILED, not \(state.rawValue)") }
        let valuesText = try state == .complete ? values.map { try StoredJSON.string($0) } : nil
        if let error = pending.takeDeferredError(id) { throw error }
        defer { pending.ended(id) }
        // The trial's held-back parameters and reports go in the same statement.
        let finished = try await pending.whileWriting { () -> FrozenTrial? in
            let held = try Self.merged(pending.take([id])[id])
            return try await updated("""
                WITH s AS (UPDATE hypertune_studies SET revision = revision + 1
                           WHERE id = (SELECT study_id FROM hypertune_trials WHERE id = \(id) AND state = 'RUNNING') RETURNING revision)
                UPDATE hypertune_trials t SET state = \(state.rawValue), "values" = \(valuesText)::jsonb, fail_reason = \(failReason),
                    finished_at = \(Date().timeIntervalSinceReferenceDate), revision = s.revision,
                    parameters = t.parameters || \(held.parameters)::jsonb, distributions = t.distributions || \(held.distributions)::jsonb,
                    intermediate_values = t.intermediate_values || \(held.reports)::jsonb
                FROM s WHERE t.id = \(id) AND t.state = 'RUNNING'
                RETURNING \(unescaped: Self.returning)
                """)
        }
        guard let finished else { try await diagnose(id, "finish as \(state.rawValue)") }
        return finished
    }

    public func trial(id: Int) async throws -> FrozenTrial {
        try await flush(nil)
        return try await transaction { c in try await Self.trial(c, id: id) }
    }

    public func trials(studyID: Int, states: Set<TrialState>?) async throws -> [FrozenTrial] {
        try await flush(nil)
        let since = cache.revision(of: studyID)
        // One statement, so one snapshot: the study's revision and the trials stamped since.
        let (changed, revision) = try await Self.translating(description) { () -> ([(trial: FrozenTrial, revision: Int64)], Int64) in
            try await Self.retryingLostConnection {
                let rows = try await client.query("""
                    SELECT s.revision, \(unescaped: Self.returning), t.revision FROM hypertune_studies s
                    LEFT JOIN hypertune_trials t ON t.study_id = s.id AND t.revision > \(since)
                    WHERE s.id = \(studyID) ORDER BY t.number
                    """, logger: Self.logger)
                var revision: Int64?, changed: [(trial: FrozenTrial, revision: Int64)] = []
                let trialRevision = 1 + Self.trialColumns.split(separator: ",").count
                for try await row in rows {
                    let r = row.makeRandomAccess()
                    revision = try r[0].decode(Int64.self)
                    if try r[1].decode(Int?.self) != nil { changed.append((try Self.trial(r, offset: 1), try r[trialRevision].decode(Int64.self))) }
                }
                guard let revision else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
                return (changed, revision)
            }
        }
        let all = cache.merge(study: studyID, changed, upTo: revision)
        guard let states else { return all }
        return all.filter { states.contains($0.state) }
    }

    public func failStaleTrials(studyID: Int, gracePeriod: TimeInterval) async throws -> [FrozenTrial] {
        try await flush(nil)
        let now = Date().timeIntervalSinceReferenceDate, cutoff = now - gracePeriod
        let reason = "no heartbeat for \(Int(gracePeriod)) s: the worker stopped"
        let failed = try await transaction { c in
            guard let revision = try await Self.nextRevision(c, study: studyID) else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
            return try await Self.trials(c.query("""
                UPDATE hypertune_trials SET state = 'FAILED', finished_at = \(now), fail_reason = \(reason), revision = \(revision)
                WHERE study_id = \(studyID) AND state = 'RUNNING' AND COALESCE(heartbeat_at, -1e300) < \(cutoff)
                RETURNING \(unescaped: Self.trialColumns)
                """, logger: Self.logger)).sorted { $0.number < $1.number }
        }
        for t in failed { pending.ended(t.id) }
        return failed
    }
}

import Foundation
import GRDB
import Hypertune

/// Studies and trials in an SQLite file: the embedded default (`sqlite:///hypertune.db`).
///
/// Several processes on one machine may share a file. The database runs in WAL mode (readers
/// never wait for the writer), every write is one `BEGIN IMMEDIATE` transaction (SQLite lets one
/// writer at a time in, so each operation is atomic across processes), and a writer that finds
/// the file busy waits for it — up to `busyTimeout` — instead of failing with "database is
/// locked".
///
/// The schema is versioned: named migrations (``SQLiteSchema``) run in order when a file is
/// opened, and a released migration is never edited.
///
/// Reading a study's history stays cheap as it grows: every write to a trial stamps it with the
/// next value of a file-wide revision counter, and this process keeps each study's trials in
/// memory with the revision it has read up to; a read fetches only the trials stamped since. As
/// SQLite admits one writer at a time, revisions are committed in increasing order, so nothing is
/// missed.
public final class SQLiteStorage: Storage, @unchecked Sendable {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    private let cache = TrialRevisionCache()
    private let pending = HeldBackWrites()

    /// Opens (creating it if needed) the database at `path` and brings its schema up to date.
    /// - Throws: ``StorageError`` (`.backend`) naming the file when it cannot be opened or
    ///   migrated.
    public init(path: String, busyTimeout: TimeInterval = 60) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "hypertune"
        configuration.prepareDatabase { db in
            // In WAL mode NORMAL loses no committed transaction to a crash of the process (only to
            // one of the operating system), and spares an fsync per commit.
            try db.run("PRAGMA synchronous = NORMAL")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.backend, "cannot create the folder \(directory.path) for the SQLite database \(path): \(error.localizedDescription)")
        }
        do {
            pool = try Self.open(path, configuration)
        } catch let error as DatabaseError {
            throw StorageError(.backend, "cannot open the SQLite database \(path): \(error.message ?? error.description)")
        } catch {
            throw StorageError(.backend, "cannot open the SQLite database \(path): \(error.localizedDescription)")
        }
    }

    /// Opens the pool and migrates the schema. Switching a new file to WAL mode needs a moment
    /// alone with it, and SQLite answers "database is locked" at once, without waiting, to the
    /// processes opening it at that moment: they try again, for up to about ten seconds.
    static func open(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrate(pool)
                return pool
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                attempt += 1
                if attempt >= 100 { throw error }
                Thread.sleep(forTimeInterval: 0.01 * Double(min(attempt, 10)))
            }
        }
    }

    /// Brings the schema up to date. Processes opening a new file together race to apply the
    /// same migrations (the migrator reads which ones are applied before its transaction): the
    /// loser's migration fails, and it is done once the winner's is complete.
    static func migrate(_ pool: DatabasePool) throws {
        let migrator = SQLiteSchema.migrator
        for attempt in 1...5 {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                if try pool.read({ try migrator.hasCompletedMigrations($0) }) { return }
                if attempt == 5 { throw error }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    /// Opens the database a storage URL names: `sqlite:///relative/path.db` or
    /// `sqlite:////absolute/path.db`.
    public convenience init(url: String, busyTimeout: TimeInterval = 60) throws {
        try self.init(path: Self.path(fromURL: url), busyTimeout: busyTimeout)
    }

    /// The file path of an `sqlite:///…` URL.
    public static func path(fromURL url: String) throws -> String {
        let prefix = "sqlite:///"
        guard url.hasPrefix(prefix) else {
            throw StorageError(.invalidValue, "'\(url)' is not an SQLite URL (sqlite:///relative.db or sqlite:////absolute/path.db)")
        }
        let path = String(url.dropFirst(prefix.count))
        guard !path.isEmpty, path != "/" else { throw StorageError(.invalidValue, "'\(url)' names no file") }
        return path
    }

    // MARK: Running operations

    // Operations run synchronously on the calling task's thread: each is a few microseconds of
    // SQLite work, less than a hop to GRDB's queue and back would cost. Waiting for another
    // process's write lock blocks the thread (at most `busyTimeout`).

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`: the write lock is taken first, so
    /// the transaction never has to upgrade, which no busy timeout could wait out), turning
    /// SQLite's errors into ``StorageError``s.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try translating { try pool.writeWithoutTransaction { db in try Self.transaction(db, "BEGIN IMMEDIATE", body) } }
    }

    /// Runs `body` in one read transaction: a consistent snapshot of the file, which writers
    /// (of this process or others) do not block in WAL mode.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try translating { try pool.unsafeRead { db in try Self.transaction(db, "BEGIN DEFERRED", body) } }
    }

    /// `body` between `begin` and `COMMIT`, rolled back if it throws. The statements come from
    /// the connection's cache: GRDB's own transaction methods parse theirs on every call (and a
    /// read toggles `query_only` around it), which was a third of a small transaction's cost.
    static func transaction<T>(_ db: Database, _ begin: String, _ body: (Database) throws -> T) throws -> T {
        try db.run(begin)
        do {
            let result = try body(db)
            try db.run("COMMIT")
            return result
        } catch {
            if db.isInsideTransaction { try? db.run("ROLLBACK") }
            throw error
        }
    }

    private func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StorageError {
            throw error
        } catch let error as DatabaseError {
            throw StorageError(.backend, "SQLite database \(path): \(error.message ?? error.description)")
        }
    }

    // MARK: Studies

    public func createStudy(name: String, directions: [StudyDirection], loadIfExists: Bool) async throws -> StudyRecord {
        guard !directions.isEmpty else { throw StorageError(.invalidValue, "study '\(name)': at least one direction is needed") }
        return try write { db in
            if let existing = try Self.study(db, name: name) {
                guard loadIfExists else { throw StorageError(.studyExists, "a study named '\(name)' already exists") }
                guard existing.directions == directions else {
                    throw StorageError(.studyExists, "study '\(name)' exists with directions \(existing.directions.map(\.rawValue)), not \(directions.map(\.rawValue))")
                }
                return existing
            }
            let createdAt = Date()
            try db.run("INSERT INTO studies (name, directions, created_at) VALUES (?, ?, ?)",
                           arguments: [name, try StoredJSON.string(directions), createdAt.timeIntervalSinceReferenceDate])
            return StudyRecord(id: Int(db.lastInsertedRowID), name: name, directions: directions, createdAt: createdAt)
        }
    }

    public func study(named name: String) async throws -> StudyRecord? {
        try read { db in try Self.study(db, name: name) }
    }

    public func allStudies() async throws -> [StudyRecord] {
        try read { db in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM studies ORDER BY id")).map(Self.study(row:)) }
    }

    public func deleteStudy(id: Int) async throws {
        try await flush(nil)
        try write { db in
            try db.run("DELETE FROM studies WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw StorageError(.studyNotFound, "no study with id \(id)") }
        }
        cache.forget(study: id)
    }

    public func setStudyAttribute(studyID: Int, key: String, value: JSONValue, system: Bool) async throws {
        try write { db in
            let column = system ? "system_attributes" : "user_attributes"
            guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT \(column) FROM studies WHERE id = ?"), arguments: [studyID]) else {
                throw StorageError(.studyNotFound, "no study with id \(studyID)")
            }
            var attributes = try StoredJSON.decode([String: JSONValue].self, text)
            attributes[key] = value
            try db.run("UPDATE studies SET \(column) = ? WHERE id = ?", arguments: [try StoredJSON.string(attributes), studyID])
        }
    }

    static func study(_ db: Database, name: String) throws -> StudyRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM studies WHERE name = ?"), arguments: [name]).map(study(row:))
    }

    static func study(row: Row) throws -> StudyRecord {
        StudyRecord(id: row["id"], name: row["name"], directions: try StoredJSON.decode([StudyDirection].self, row["directions"]),
                    userAttributes: try StoredJSON.decode([String: JSONValue].self, row["user_attributes"]),
                    systemAttributes: try StoredJSON.decode([String: JSONValue].self, row["system_attributes"]),
                    createdAt: Date(timeIntervalSinceReferenceDate: row["created_at"]))
    }

    // MARK: Trials

    public func startTrial(studyID: Int, limit: Int?, worker: String?) async throws -> FrozenTrial? {
        let trial = try write { db -> FrozenTrial? in
            try Self.requireStudy(db, studyID)
            if let limit {
                let waiting = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM trials WHERE study_id = ? AND state = 'WAITING'"), arguments: [studyID]) ?? 0
                if try Self.trialCount(db, studyID) - waiting >= limit { return nil }
            }
            let now = Date().timeIntervalSinceReferenceDate
            let revision = try Self.nextRevision(db)
            if let waiting = try Int.fetchOne(db.cachedStatement(sql: "SELECT id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY number LIMIT 1"), arguments: [studyID]) {
                try db.run("UPDATE trials SET state = 'RUNNING', started_at = ?, heartbeat_at = ?, worker = ?, revision = ? WHERE id = ?",
                               arguments: [now, now, worker, revision, waiting])
                return try Self.trial(db, id: waiting)
            }
            let number = try Self.trialCount(db, studyID)
            try db.run("INSERT INTO trials (study_id, number, state, started_at, heartbeat_at, worker, revision) VALUES (?, ?, 'RUNNING', ?, ?, ?, ?)",
                           arguments: [studyID, number, now, now, worker, revision])
            let date = Date(timeIntervalSinceReferenceDate: now)
            return FrozenTrial(id: Int(db.lastInsertedRowID), studyID: studyID, number: number, state: .running,
                               startedAt: date, heartbeatAt: date, worker: worker)
        }
        if let trial { pending.started(trial) }
        return trial
    }

    public func enqueueTrial(studyID: Int, parameters: [String: ParameterValue], userAttributes: [String: JSONValue]) async throws -> FrozenTrial {
        try write { db in
            try Self.requireStudy(db, studyID)
            let number = try Self.trialCount(db, studyID)
            let system: [String: JSONValue] = [FrozenTrial.fixedParametersKey: .object(parameters.mapValues(\.json))]
            try db.run("INSERT INTO trials (study_id, number, state, user_attributes, system_attributes, revision) VALUES (?, ?, 'WAITING', ?, ?, ?)",
                           arguments: [studyID, number, try StoredJSON.string(userAttributes), try StoredJSON.string(system), try Self.nextRevision(db)])
            return try Self.trial(db, id: Int(db.lastInsertedRowID))
        }
    }

    public func setParameter(trialID: Int, name: String, value: ParameterValue, distribution: Distribution) async throws {
        guard let path = Self.jsonPath(name) else {
            // A name JSON paths cannot quote: the whole-row path.
            try modifyRunning(trialID, "set parameter '\(name)'") { t in
                if let existing = t.distributions[name] {
                    guard existing == distribution else {
                        throw StorageError.parameterConflict(name, trial: t.number, drawnFrom: existing, not: distribution)
                    }
                    return []
                }
                t.parameters[name] = value
                t.distributions[name] = distribution
                return [.parameters, .distributions]
            }
            return
        }
        if try pending.setParameter(trialID, name, value: value, distribution: distribution) {
            scheduleFlush()
            return
        }
        let (valueText, distributionText) = (try StoredJSON.string(value), try StoredJSON.string(distribution))
        try write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, number, json_extract(distributions, ?) AS existing FROM trials WHERE id = ?"), arguments: [path, trialID]) else {
                throw StorageError(.trialNotFound, "no trial with id \(trialID)")
            }
            try Self.requireRunning(row, "set parameter '\(name)'")
            if let existingText = row["existing"] as String? {
                let existing = try StoredJSON.decode(Distribution.self, existingText)
                guard existing == distribution else {
                    throw StorageError.parameterConflict(name, trial: row["number"] as Int, drawnFrom: existing, not: distribution)
                }
                return
            }
            try db.run("UPDATE trials SET parameters = json_set(parameters, ?, json(?)), distributions = json_set(distributions, ?, json(?)), revision = ? WHERE id = ?",
                           arguments: [path, valueText, path, distributionText, try Self.nextRevision(db), trialID])
        }
    }

    public func reportIntermediateValue(trialID: Int, step: Int, value: Double) async throws {
        if pending.report(trialID, step: step, value: value) {
            scheduleFlush()
            return
        }
        try setRunningJSON(trialID, column: "intermediate_values", path: "$.\"\(step)\"", json: StoredJSON.number(value), "report step \(step)")
    }

    public func setTrialAttribute(trialID: Int, key: String, value: JSONValue, system: Bool) async throws {
        try await flush([trialID])
        guard let path = Self.jsonPath(key) else {
            // A key JSON paths cannot quote: the whole-row path.
            guard system else {
                try modifyRunning(trialID, "set user attribute '\(key)'") { t in
                    t.userAttributes[key] = value
                    return [.userAttributes]
                }
                return
            }
            try write { db in
                var t = try Self.trial(db, id: trialID)
                t.systemAttributes[key] = value
                try Self.update(db, t, [.systemAttributes])
            }
            return
        }
        let text = try StoredJSON.string(value)
        guard system else {
            try setRunningJSON(trialID, column: "user_attributes", path: path, json: text, "set user attribute '\(key)'")
            return
        }
        try write { db in
            try db.run("UPDATE trials SET system_attributes = json_set(system_attributes, ?, json(?)), revision = ? WHERE id = ?",
                           arguments: [path, text, try Self.nextRevision(db), trialID])
            guard db.changesCount > 0 else { throw StorageError(.trialNotFound, "no trial with id \(trialID)") }
        }
    }

    public func heartbeat(trialID: Int) async throws {
        if let error = pending.takeDeferredError(trialID) { throw error }
        try await pending.whileWriting {
            let writes = pending.take([trialID])
            try write { db in
                for (id, w) in writes { try Self.writeHeldBack(id, w, db) }
                try db.run("UPDATE trials SET heartbeat_at = ?, revision = ? WHERE id = ? AND state = 'RUNNING'",
                               arguments: [Date().timeIntervalSinceReferenceDate, try Self.nextRevision(db), trialID])
                if db.changesCount == 0 { try Self.diagnoseNotRunning(db, trialID, "heartbeat") }
            }
        }
    }

    /// Sets `path` of JSON column `column` of a running trial to the JSON text `json`.
    private func setRunningJSON(_ trialID: Int, column: String, path: String, json: String, _ what: String) throws {
        try write { db in
            try db.run("UPDATE trials SET \(column) = json_set(\(column), ?, json(?)), revision = ? WHERE id = ? AND state = 'RUNNING'",
                           arguments: [path, json, try Self.nextRevision(db), trialID])
            if db.changesCount == 0 { try Self.diagnoseNotRunning(db, trialID, what) }
        }
    }

    // MARK: Pending writes

    /// Writes the pending values of `trialIDs` (all when nil) in one transaction. A trial that
    /// no longer runs loses its values; the error is raised by its next operation.
    func flush(_ trialIDs: [Int]?) async throws {
        try await pending.whileWriting {
            let writes = pending.take(trialIDs)
            guard !writes.isEmpty else { return }
            try write { db in
                for (id, w) in writes.sorted(by: { $0.key < $1.key }) {
                    do {
                        try Self.writeHeldBack(id, w, db)
                    } catch let error as StorageError where error.kind == .trialNotRunning || error.kind == .trialNotFound {
                        pending.postpone(error, for: id)
                    }
                }
            }
        }
    }

    private func scheduleFlush() {
        pending.ensureFlusher { [weak self] in try? await self?.flush(nil) }
    }

    /// The JSON path of an object member, `$."key"`; nil for a key SQLite's paths cannot quote.
    static func jsonPath(_ key: String) -> String? {
        key.contains("\"") || key.contains("\\") ? nil : "$.\"\(key)\""
    }

    static func requireRunning(_ row: Row, _ what: String) throws {
        let state: String = row["state"]
        guard state == TrialState.running.rawValue else {
            throw StorageError(.trialNotRunning, "\(what): trial \(row["number"] as Int) is \(state), not RUNNING")
        }
    }

    /// Throws why an update of a running trial changed nothing.
    static func diagnoseNotRunning(_ db: Database, _ trialID: Int, _ what: String) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, number FROM trials WHERE id = ?"), arguments: [trialID]) else {
            throw StorageError(.trialNotFound, "no trial with id \(trialID)")
        }
        try requireRunning(row, what)
    }

    @discardableResult
    public func finishTrial(id: Int, state: TrialState, values: [Double]?, failReason: String?) async throws -> FrozenTrial {
        guard state.isFinished else { throw StorageError(.invalidValue, "a trial can only finish as COMPLETE, PRUNED or FAILED, not \(state.rawValue)") }
        if let error = pending.takeDeferredError(id) { throw error }
        defer { pending.ended(id) }
        let valuesText = try state == .complete ? values.map { try StoredJSON.string($0) } : nil
        return try await pending.whileWriting {
            // One statement: the held-back values and the end, on a trial that still runs.
            var (assignments, arguments) = try Self.heldBackAssignments(pending.take([id])[id] ?? .init(number: 0))
            assignments += ["state = ?", "\"values\" = ?", "fail_reason = ?", "finished_at = ?"]
            arguments += [state.rawValue, valuesText, failReason, Date().timeIntervalSinceReferenceDate]
            return try write { db in
                arguments += [try Self.nextRevision(db), id]
                let sql = "UPDATE trials SET \(assignments.joined(separator: ", ")), revision = ? WHERE id = ? AND state = 'RUNNING' RETURNING \(StoredTrialRow.columns)"
                guard let row = try StoredTrialRow.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).first else {
                    try Self.diagnoseNotRunning(db, id, "finish as \(state.rawValue)")
                    throw StorageError(.backend, "finish as \(state.rawValue): trial \(id) was not updated")
                }
                return try row.trial()
            }
        }
    }

    public func trial(id: Int) async throws -> FrozenTrial {
        try await flush(nil)
        return try read { db in try Self.trial(db, id: id) }
    }

    public func trials(studyID: Int, states: Set<TrialState>?) async throws -> [FrozenTrial] {
        try await flush(nil)
        let since = cache.revision(of: studyID)
        let (rows, revision) = try read { db -> ([StoredTrialRow], Int64) in
            try Self.requireStudy(db, studyID)
            let revision = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM revision")) ?? 0
            // A first read walks the (study, number) index: in order, no sort. A later one finds
            // the few changed trials by revision and sorts them (a sort of a whole big study
            // would spill to a temporary file: 17,000 writes for 50,000 trials).
            return since == 0
                ? (try StoredTrialRow.fetchAll(db.cachedStatement(sql: "SELECT \(StoredTrialRow.columns) FROM trials WHERE study_id = ? ORDER BY number"),
                                               arguments: [studyID]), revision)
                : (try StoredTrialRow.fetchAll(db.cachedStatement(sql: "SELECT \(StoredTrialRow.columns) FROM trials WHERE study_id = ? AND revision > ? ORDER BY number"),
                                               arguments: [studyID, since]), revision)
        }
        // Decoded outside the database's queue, so that other reads and writes go on meanwhile.
        let changed = zip(try StoredTrialRow.trials(rows), rows).map { (trial: $0, revision: $1.revision) }
        let all = cache.merge(study: studyID, changed, upTo: revision)
        guard let states else { return all }
        return all.filter { states.contains($0.state) }
    }

    public func failStaleTrials(studyID: Int, gracePeriod: TimeInterval) async throws -> [FrozenTrial] {
        try await flush(nil)
        let failed = try write { db -> [FrozenTrial] in
            try Self.requireStudy(db, studyID)
            let cutoff = Date().addingTimeInterval(-gracePeriod).timeIntervalSinceReferenceDate
            let ids = try Int.fetchAll(db, sql: "SELECT id FROM trials WHERE study_id = ? AND state = 'RUNNING' AND COALESCE(heartbeat_at, -1e300) < ? ORDER BY number",
                                       arguments: [studyID, cutoff])
            return try ids.map { id in
                var t = try Self.trial(db, id: id)
                t.state = .failed
                t.finishedAt = Date()
                t.failReason = "no heartbeat for \(Int(gracePeriod)) s: the worker stopped"
                try Self.update(db, t, [.state, .failReason, .finishedAt])
                return t
            }
        }
        for t in failed { pending.ended(t.id) }
        return failed
    }

    // MARK: Rows

    /// The columns an update writes.
    enum Column: String {
        case state, parameters, distributions, values = "\"values\"", intermediateValues = "intermediate_values"
        case userAttributes = "user_attributes", systemAttributes = "system_attributes", failReason = "fail_reason"
        case finishedAt = "finished_at", heartbeat = "heartbeat_at"
    }

    /// Applies `change` to a running trial in one transaction; `change` returns the columns it
    /// changed (none: nothing is written).
    @discardableResult
    func modifyRunning(_ id: Int, _ what: String, _ change: (inout FrozenTrial) throws -> [Column]) throws -> FrozenTrial {
        try write { db in
            var t = try Self.trial(db, id: id)
            guard t.state == .running else { throw StorageError(.trialNotRunning, "\(what): trial \(t.number) is \(t.state.rawValue), not RUNNING") }
            let columns = try change(&t)
            if !columns.isEmpty { try Self.update(db, t, columns) }
            return t
        }
    }

    /// Writes `columns` of `t` and stamps it with the next revision.
    static func update(_ db: Database, _ t: FrozenTrial, _ columns: [Column]) throws {
        var arguments = StatementArguments()
        for column in columns {
            switch column {
            case .state: arguments += [t.state.rawValue]
            case .parameters: arguments += [try StoredJSON.string(t.parameters)]
            case .distributions: arguments += [try StoredJSON.string(t.distributions)]
            case .values: arguments += [try t.values.map { try StoredJSON.string($0) }]
            case .intermediateValues: arguments += [try StoredJSON.string(t.intermediateValues)]
            case .userAttributes: arguments += [try StoredJSON.string(t.userAttributes)]
            case .systemAttributes: arguments += [try StoredJSON.string(t.systemAttributes)]
            case .failReason: arguments += [t.failReason]
            case .finishedAt: arguments += [t.finishedAt?.timeIntervalSinceReferenceDate]
            case .heartbeat: arguments += [t.heartbeatAt?.timeIntervalSinceReferenceDate]
            }
        }
        arguments += [try nextRevision(db), t.id]
        let assignments = columns.map { "\($0.rawValue) = ?" }.joined(separator: ", ")
        try db.run("UPDATE trials SET \(assignments), revision = ? WHERE id = ?", arguments: arguments)
    }

    /// The number of the study's trials. Numbers run from 0 without gaps (a trial is never
    /// deleted alone), so it is one more than the largest: a lookup in the `(study_id, number)`
    /// index, where counting would read every entry of the study.
    static func trialCount(_ db: Database, _ studyID: Int) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?"), arguments: [studyID]) ?? 0
    }

    static func nextRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "UPDATE revision SET value = value + 1 RETURNING value"))!
    }

    static func requireStudy(_ db: Database, _ id: Int) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM studies WHERE id = ?"), arguments: [id]) != nil else {
            throw StorageError(.studyNotFound, "no study with id \(id)")
        }
    }

    static func trial(_ db: Database, id: Int) throws -> FrozenTrial {
        guard let row = try StoredTrialRow.fetchAll(db.cachedStatement(sql: "SELECT \(StoredTrialRow.columns) FROM trials WHERE id = ?"), arguments: [id]).first else {
            throw StorageError(.trialNotFound, "no trial with id \(id)")
        }
        return try row.trial()
    }
}

extension Database {
    /// Executes `sql` through the connection's statement cache: the hot statements are parsed
    /// once per connection.
    func run(_ sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

import Foundation
import Hypertune
import HypertunePostgres
import HypertuneSQLite
import Logging
import PostgresNIO
import Testing

/// A storage backend under test, made fresh for each test.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres

    var testDescription: String { rawValue }

    /// The backends this run can test: PostgreSQL when `HYPERTUNE_TEST_POSTGRES_URL` names a
    /// server (`scripts/test` starts one).
    static var available: [Backend] {
        postgresURL == nil ? [.memory, .sqlite] : allCases
    }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["HYPERTUNE_TEST_POSTGRES_URL"] }

    func make() async throws -> any Storage {
        switch self {
        case .memory: InMemoryStorage()
        case .sqlite: try SQLiteStorage(path: Self.scratchFile("conformance"))
        case .postgres: try await PostgresStorage(url: Self.freshPostgresDatabase())
        }
    }

    /// The URL of a new, empty database on the test server.
    static func freshPostgresDatabase() async throws -> String {
        let server = try #require(postgresURL, "HYPERTUNE_TEST_POSTGRES_URL is not set")
        let components = try #require(URLComponents(string: server))
        let name = "hypertune_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        let client = PostgresClient(configuration: .init(host: components.host!, port: components.port ?? 5432, username: components.user ?? "postgres",
                                                         password: components.password, database: "postgres", tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            group.cancelAll()
        }
        var fresh = components
        fresh.path = "/" + name
        return fresh.string!
    }

    /// A path for a new database file in a fresh directory.
    static func scratchFile(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-storage-\(UUID().uuidString)")
        return directory.appendingPathComponent("\(name).db").path
    }
}

/// What every ``Storage`` must do, checked on each backend: the contract of the protocol's
/// documentation, the same behaviour as ``InMemoryStorage``.
@Suite("Storage conformance")
struct StorageConformanceTests {
    @Test("every backend is under test when the test script provides a PostgreSQL server")
    func backendsUnderTest() {
        guard ProcessInfo.processInfo.environment["HYPERTUNE_REQUIRE_POSTGRES"] == "1" else { return }
        #expect(Backend.available == Backend.allCases, "HYPERTUNE_TEST_POSTGRES_URL is not set: the PostgreSQL storage goes untested")
    }

    @Test("studies: create, join, refuse, find, list, attributes, delete", arguments: Backend.available)
    func studies(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let a = try await storage.createStudy(name: "a", directions: [.minimize], loadIfExists: true)
        let b = try await storage.createStudy(name: "b", directions: [.maximize, .minimize], loadIfExists: true)
        #expect(try await storage.createStudy(name: "a", directions: [.minimize], loadIfExists: true).id == a.id)
        await #expect(throws: StorageError.self) { try await storage.createStudy(name: "a", directions: [.minimize], loadIfExists: false) }
        await #expect(throws: StorageError.self) { try await storage.createStudy(name: "a", directions: [.maximize], loadIfExists: true) }
        await #expect(throws: StorageError.self) { try await storage.createStudy(name: "c", directions: [], loadIfExists: true) }
        #expect(try await storage.allStudies().map(\.name) == ["a", "b"])
        #expect(try await storage.study(named: "b")?.directions == [.maximize, .minimize])
        #expect(try await storage.study(named: "missing") == nil)
        try await storage.setStudyAttribute(studyID: a.id, key: "note", value: .string("first"), system: false)
        try await storage.setStudyAttribute(studyID: a.id, key: "version", value: .number(2), system: true)
        let stored = try #require(try await storage.study(named: "a"))
        #expect(stored.userAttributes == ["note": .string("first")] && stored.systemAttributes == ["version": .number(2)])
        #expect(abs(stored.createdAt.timeIntervalSince(a.createdAt)) < 1e-6)
        _ = try await storage.startTrial(studyID: b.id, limit: nil, worker: "w")
        try await storage.deleteStudy(id: b.id)
        #expect(try await storage.allStudies().map(\.name) == ["a"])
        await #expect(throws: StorageError.self) { try await storage.trials(studyID: b.id, states: nil) }
        await #expect(throws: StorageError.self) { try await storage.deleteStudy(id: b.id) }
        await #expect(throws: StorageError.self) { try await storage.setStudyAttribute(studyID: b.id, key: "k", value: .null, system: false) }
    }

    @Test("starting trials: numbers in order, enqueued trials first and once, the limit counts started trials only", arguments: Backend.available)
    func starting(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        let first = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: "w1"))
        #expect(first.number == 0 && first.state == .running && first.worker == "w1" && first.startedAt != nil && first.heartbeatAt != nil)
        let queued = try await storage.enqueueTrial(studyID: study.id, parameters: ["x": .double(0.5), "k": .string("b")], userAttributes: ["why": .string("a hunch")])
        _ = try await storage.enqueueTrial(studyID: study.id, parameters: ["x": .double(0.7)], userAttributes: [:])
        #expect(queued.number == 1 && queued.state == .waiting && queued.fixedParameters == ["x": .double(0.5), "k": .string("b")])
        #expect(queued.userAttributes == ["why": .string("a hunch")])
        // Limit 3 with one started: two more may start, and they are the enqueued ones, in order.
        let second = try #require(try await storage.startTrial(studyID: study.id, limit: 3, worker: "w2"))
        #expect(second.id == queued.id && second.state == .running && second.worker == "w2")
        let third = try #require(try await storage.startTrial(studyID: study.id, limit: 3, worker: "w2"))
        #expect(third.number == 2 && third.fixedParameters == ["x": .double(0.7)])
        #expect(try await storage.startTrial(studyID: study.id, limit: 3, worker: "w2") == nil)
        let fourth = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: nil))
        #expect(fourth.number == 3 && !fourth.isEnqueued)
        #expect(try await storage.trials(studyID: study.id, states: nil).map(\.number) == [0, 1, 2, 3])
        await #expect(throws: StorageError.self) { try await storage.startTrial(studyID: 999, limit: nil, worker: nil) }
    }

    @Test("parameters, reports and attributes of a running trial; a finished trial is a record", arguments: Backend.available)
    func runningTrial(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        let t = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: nil))
        let lr = Distribution.float(low: 1e-5, high: 1, log: true)
        try await storage.setParameter(trialID: t.id, name: "lr", value: .double(0.01), distribution: lr)
        try await storage.setParameter(trialID: t.id, name: "lr", value: .double(0.2), distribution: lr)  // the first value stays
        await #expect(throws: StorageError.self) {
            try await storage.setParameter(trialID: t.id, name: "lr", value: .double(0.2), distribution: .float(low: 0, high: 1))
        }
        try await storage.setParameter(trialID: t.id, name: "layers", value: .int(3), distribution: .int(low: 1, high: 8, step: 1))
        try await storage.setParameter(trialID: t.id, name: "act", value: .string("relu"), distribution: .categorical([.string("relu"), .bool(true), .int(4)]))
        try await storage.reportIntermediateValue(trialID: t.id, step: 1, value: 0.9)
        try await storage.reportIntermediateValue(trialID: t.id, step: 1, value: 0.8)  // the later report wins
        try await storage.reportIntermediateValue(trialID: t.id, step: 2, value: .nan)
        try await storage.reportIntermediateValue(trialID: t.id, step: 3, value: -.infinity)
        let nested: JSONValue = .object(["a": .array([.number(1), .null, .bool(false)]), "b": .string("ü ✓")])
        try await storage.setTrialAttribute(trialID: t.id, key: "user", value: nested, system: false)
        try await storage.setTrialAttribute(trialID: t.id, key: "sys", value: .number(1), system: true)
        let before = try await storage.trial(id: t.id)
        try await Task.sleep(for: .milliseconds(5))
        try await storage.heartbeat(trialID: t.id)
        let running = try await storage.trial(id: t.id)
        #expect(running.heartbeatAt! > before.heartbeatAt!)
        #expect(running.parameters == ["lr": .double(0.01), "layers": .int(3), "act": .string("relu")])
        #expect(running.distributions["lr"] == lr && running.distributions["act"] == .categorical([.string("relu"), .bool(true), .int(4)]))
        #expect(running.intermediateValues[1] == 0.8 && running.intermediateValues[2]!.isNaN && running.intermediateValues[3] == -.infinity)
        #expect(running.userAttributes == ["user": nested] && running.systemAttributes == ["sys": .number(1)])

        let done = try await storage.finishTrial(id: t.id, state: .complete, values: [0.25], failReason: nil)
        #expect(done.state == .complete && done.values == [0.25] && done.finishedAt != nil)
        // (Compared field by field: the NaN report makes whole trials unequal to themselves.)
        let reread = try await storage.trial(id: t.id)
        #expect(reread.state == .complete && reread.values == [0.25] && reread.finishedAt == done.finishedAt && reread.parameters == done.parameters)
        // A finished trial takes no more parameters, reports, user attributes, heartbeats or ends.
        await #expect(throws: StorageError.self) { try await storage.setParameter(trialID: t.id, name: "z", value: .int(1), distribution: .int(low: 0, high: 2)) }
        await #expect(throws: StorageError.self) { try await storage.reportIntermediateValue(trialID: t.id, step: 4, value: 1) }
        await #expect(throws: StorageError.self) { try await storage.setTrialAttribute(trialID: t.id, key: "late", value: .null, system: false) }
        await #expect(throws: StorageError.self) { try await storage.heartbeat(trialID: t.id) }
        await #expect(throws: StorageError.self) { try await storage.finishTrial(id: t.id, state: .failed, values: nil, failReason: "again") }
        // System attributes are the library's bookkeeping: allowed in any state.
        try await storage.setTrialAttribute(trialID: t.id, key: "sys", value: .number(2), system: true)
        #expect(try await storage.trial(id: t.id).systemAttributes["sys"] == .number(2))
        await #expect(throws: StorageError.self) { try await storage.trial(id: 12345) }
    }

    @Test("any name: quotes, backslashes, dots, spaces and non-ASCII in parameter names and attribute keys", arguments: Backend.available)
    func awkwardNames(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        let t = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: nil))
        let names = ["a\"b", "back\\slash", "dot.ted", "sp ace", "$.x", "λ[0]", "'quote'"]
        for (i, name) in names.enumerated() {
            try await storage.setParameter(trialID: t.id, name: name, value: .int(i), distribution: .int(low: 0, high: 10))
            try await storage.setParameter(trialID: t.id, name: name, value: .int(9), distribution: .int(low: 0, high: 10))
            await #expect(throws: StorageError.self) { try await storage.setParameter(trialID: t.id, name: name, value: .int(1), distribution: .int(low: 0, high: 5)) }
            try await storage.setTrialAttribute(trialID: t.id, key: name, value: .string(name), system: false)
            try await storage.setTrialAttribute(trialID: t.id, key: name, value: .number(Double(i)), system: true)
        }
        let stored = try await storage.trial(id: t.id)
        #expect(stored.parameters == Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, ParameterValue.int($0)) }))
        #expect(stored.userAttributes == Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.string($0)) }))
        #expect(stored.systemAttributes == Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, JSONValue.number(Double($0))) }))
    }

    @Test("ending trials: values only when complete, the reason kept, only RUNNING trials end; filters by state", arguments: Backend.available)
    func ending(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize, .maximize], loadIfExists: true)
        var ids: [Int] = []
        for _ in 0..<4 { ids.append(try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: nil)).id) }
        await #expect(throws: StorageError.self) { try await storage.finishTrial(id: ids[0], state: .running, values: nil, failReason: nil) }
        try await storage.finishTrial(id: ids[0], state: .complete, values: [1, -2], failReason: nil)
        try await storage.finishTrial(id: ids[1], state: .pruned, values: [3, 4], failReason: nil)
        try await storage.finishTrial(id: ids[2], state: .failed, values: nil, failReason: "objective threw: boom")
        let all = try await storage.trials(studyID: study.id, states: nil)
        #expect(all.map(\.state) == [.complete, .pruned, .failed, .running])
        #expect(all[0].values == [1, -2] && all[1].values == nil && all[2].failReason == "objective threw: boom")
        #expect(try await storage.trials(studyID: study.id, states: [.complete, .running]).map(\.number) == [0, 3])
        #expect(try await storage.trials(studyID: study.id, states: [.waiting]).isEmpty)
    }

    @Test("stale running trials fail with a reason; trials with a recent heartbeat and finished ones are left alone", arguments: Backend.available)
    func staleTrials(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        let stale = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: "dead"))
        let done = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: "w"))
        try await storage.finishTrial(id: done.id, state: .complete, values: [1], failReason: nil)
        try await Task.sleep(for: .milliseconds(300))
        let alive = try #require(try await storage.startTrial(studyID: study.id, limit: nil, worker: "alive"))
        let failed = try await storage.failStaleTrials(studyID: study.id, gracePeriod: 0.2)
        #expect(failed.map(\.id) == [stale.id] && failed[0].state == .failed && failed[0].failReason?.contains("heartbeat") == true)
        let states = try await storage.trials(studyID: study.id, states: nil).map(\.state)
        #expect(states == [.failed, .complete, .running])
        #expect(try await storage.trial(id: alive.id).state == .running)
        // Its worker, come back, cannot end it any more.
        await #expect(throws: StorageError.self) { try await storage.finishTrial(id: stale.id, state: .complete, values: [0], failReason: nil) }
    }

    @Test("concurrent workers: a limit of 60 gives exactly 60 trials, numbered 0…59, and each enqueued trial runs once", arguments: Backend.available)
    func concurrentStarts(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await storage.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        for i in 0..<10 { _ = try await storage.enqueueTrial(studyID: study.id, parameters: ["i": .int(i)], userAttributes: [:]) }
        let started = try await withThrowingTaskGroup(of: [FrozenTrial].self) { group in
            for w in 0..<6 {
                group.addTask {
                    var mine: [FrozenTrial] = []
                    while let t = try await storage.startTrial(studyID: study.id, limit: 60, worker: "w\(w)") {
                        try await storage.setParameter(trialID: t.id, name: "x", value: .double(Double(t.number)), distribution: .float(low: 0, high: 100))
                        mine.append(try await storage.finishTrial(id: t.id, state: .complete, values: [Double(t.number)], failReason: nil))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(started.count == 60 && Set(started.map(\.number)) == Set(0..<60))
        let trials = try await storage.trials(studyID: study.id, states: nil)
        #expect(trials.map(\.number) == Array(0..<60) && trials.allSatisfy { $0.state == .complete })
        #expect(trials.filter(\.isEnqueued).compactMap { $0.fixedParameters["i"]?.intValue }.sorted() == Array(0..<10))
    }

    @Test("a TPE study proposes the same parameters on every backend", arguments: Backend.available)
    func sameProposals(_ backend: Backend) async throws {
        func run(_ storage: any Storage) async throws -> [[String: ParameterValue]] {
            let study = try await Study.create(name: "tpe", storage: storage, sampler: TPESampler(seed: 4))
            try await study.optimize(trials: 30) { trial in
                let x = try await trial.suggestFloat("x", -3, 3), k = try await trial.suggestCategorical("k", ["a", "b"])
                let n = try await trial.suggestInt("n", 1, 16, log: true)
                try await trial.report(x * x, step: 1)
                return x * x + (k == "a" ? 0 : 0.5) + 0.01 * Double(n)
            }
            return try await study.trials().map(\.parameters)
        }
        #expect(try await run(backend.make()) == run(InMemoryStorage()))
    }

    @Test("parameters and reports held back: read back at once by their writer, seen by others within the flush delay; a trial failed meanwhile by another process says so when it ends",
          arguments: Backend.available.filter { $0 != .memory })
    func heldBackWrites(_ backend: Backend) async throws {
        let writer: any Storage, other: any Storage
        if backend == .postgres {
            let url = try await Backend.freshPostgresDatabase()
            (writer, other) = (try await PostgresStorage(url: url), try await PostgresStorage(url: url))
        } else {
            let path = Backend.scratchFile("pending")
            (writer, other) = (try SQLiteStorage(path: path), try SQLiteStorage(path: path))
        }
        let study = try await writer.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        let t = try #require(try await writer.startTrial(studyID: study.id, limit: nil, worker: "w"))
        try await writer.setParameter(trialID: t.id, name: "x", value: .double(0.5), distribution: .float(low: 0, high: 1))
        try await writer.reportIntermediateValue(trialID: t.id, step: 1, value: 0.7)
        // The writer reads its own writes.
        let own = try await writer.trial(id: t.id)
        #expect(own.parameters == ["x": .double(0.5)] && own.intermediateValues == [1: 0.7])
        // Another connection sees later writes once the background flush has run.
        try await writer.reportIntermediateValue(trialID: t.id, step: 2, value: 0.6)
        var seen: [Int: Double] = [:]
        for _ in 0..<100 where seen[2] == nil {
            try await Task.sleep(for: .milliseconds(50))
            seen = try await other.trial(id: t.id).intermediateValues
        }
        #expect(seen == [1: 0.7, 2: 0.6])
        // Another process fails the trial as stale while the writer holds a report back.
        try await writer.reportIntermediateValue(trialID: t.id, step: 3, value: 0.5)
        try await Task.sleep(for: .milliseconds(20))
        _ = try await other.failStaleTrials(studyID: study.id, gracePeriod: 0)
        try? await Task.sleep(for: .milliseconds(300))  // the background flush meets the FAILED trial
        let error = await #expect(throws: StorageError.self) { try await writer.finishTrial(id: t.id, state: .complete, values: [0.5], failReason: nil) }
        #expect(error?.kind == .trialNotRunning)
        let stored = try await other.trial(id: t.id)
        #expect(stored.state == .failed && stored.values == nil)
    }
}

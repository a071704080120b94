import Foundation
import GRDB
import Hypertune
@testable import HypertuneSQLite
import Testing

@Suite("SQLite storage")
struct SQLiteStorageTests {
    @Test("a study survives reopening the file; two connections see each other's writes, updates to known trials included")
    func sharedFile() async throws {
        let path = Backend.scratchFile("shared")
        let a = try SQLiteStorage(path: path)
        let b = try SQLiteStorage(path: path)
        let study = try await a.createStudy(name: "s", directions: [.minimize], loadIfExists: true)
        #expect(try await b.createStudy(name: "s", directions: [.minimize], loadIfExists: true).id == study.id)
        let first = try #require(try await a.startTrial(studyID: study.id, limit: nil, worker: "a"))
        // b reads the history (caching the running trial), then a finishes it and b starts one.
        #expect(try await b.trials(studyID: study.id, states: nil).map(\.state) == [.running])
        try await a.setParameter(trialID: first.id, name: "x", value: .double(0.5), distribution: .float(low: 0, high: 1))
        try await a.finishTrial(id: first.id, state: .complete, values: [0.25], failReason: nil)
        let second = try #require(try await b.startTrial(studyID: study.id, limit: nil, worker: "b"))
        #expect(second.number == 1)
        let seenByB = try await b.trials(studyID: study.id, states: nil)
        #expect(seenByB.map(\.state) == [.complete, .running] && seenByB[0].parameters == ["x": .double(0.5)] && seenByB[0].values == [0.25])
        // A system attribute written to a finished trial reaches a reader that cached it.
        try await b.setTrialAttribute(trialID: first.id, key: "note", value: .string("late"), system: true)
        #expect(try await a.trials(studyID: study.id, states: [.complete]).first?.systemAttributes["note"] == .string("late"))
        // A new connection (a restarted process) finds everything.
        let reopened = try SQLiteStorage(url: "sqlite:///" + path)
        let trials = try await reopened.trials(studyID: study.id, states: nil)
        #expect(trials.count == 2 && trials[0].values == [0.25] && trials[1].worker == "b")
        // Deleting the study through one connection is seen by the other.
        try await reopened.deleteStudy(id: study.id)
        await #expect(throws: StorageError.self) { try await a.trials(studyID: study.id, states: nil) }
    }

    @Test("a big study's first read, decoded on every core, gives each trial as its end returned it, in order")
    func bigFirstRead() async throws {
        let path = Backend.scratchFile("big-read")
        let writer = try SQLiteStorage(path: path)
        let study = try await writer.createStudy(name: "big", directions: [.minimize], loadIfExists: false)
        let count = StoredTrialRow.parallelThreshold + 500
        var ended: [FrozenTrial] = []
        for i in 0..<count {
            let t = try #require(try await writer.startTrial(studyID: study.id, limit: nil, worker: "w\(i % 3)"))
            try await writer.setParameter(trialID: t.id, name: "x", value: .double(Double(i) / 7), distribution: .float(low: 0, high: 1000))
            if i % 2 == 0 {
                try await writer.setParameter(trialID: t.id, name: "kind", value: .string(["a", "b\"", "é"][i % 3]),
                                              distribution: .categorical([.string("a"), .string("b\""), .string("é")]))
            }
            if i % 3 == 0 { try await writer.reportIntermediateValue(trialID: t.id, step: i % 5, value: -Double(i)) }
            if i % 100 == 0 {
                // Nested attributes: the readers' path for objects that are not flat.
                try await writer.setTrialAttribute(trialID: t.id, key: "nested", value: .object(["list": .array([.number(1), .null])]), system: false)
            }
            if i % 7 == 0 { try await writer.setTrialAttribute(trialID: t.id, key: "note", value: .string("n\(i)"), system: true) }
            if i >= count - 2 { continue }  // left running
            switch i % 4 {
            case 0: ended.append(try await writer.finishTrial(id: t.id, state: .failed, values: nil, failReason: "boom \(i)"))
            case 1: ended.append(try await writer.finishTrial(id: t.id, state: .pruned, values: nil, failReason: nil))
            default: ended.append(try await writer.finishTrial(id: t.id, state: .complete, values: [Double(i) * 0.5, i % 8 == 2 ? .nan : 1], failReason: nil))
            }
        }
        // The writer's own read writes its held-back parameters of the running trials first.
        let writersView = try await writer.trials(studyID: study.id, states: nil)
        let read = try await SQLiteStorage(path: path).trials(studyID: study.id, states: nil)
        #expect(read.count == count)
        #expect(read.map(\.number) == Array(0..<count))
        // NaN is not equal to itself: compare the values' bit patterns apart.
        func comparable(_ t: FrozenTrial) -> FrozenTrial { var c = t; c.values = nil; return c }
        let mismatched = zip(read, ended).filter { comparable($0) != comparable($1)
            || $0.values?.map(\.bitPattern) != $1.values?.map(\.bitPattern) }
        #expect(mismatched.isEmpty, "first mismatch: \(String(describing: mismatched.first))")
        #expect(read.suffix(2).allSatisfy { $0.state == .running && $0.parameters["x"] != nil })
        #expect(Array(read.suffix(2)) == Array(writersView.suffix(2)))
        #expect(read[100].userAttributes["nested"] == .object(["list": .array([.number(1), .null])]))
    }

    @Test("the schema is migrated once, by named migrations, with the indexes the queries use")
    func schema() throws {
        let path = Backend.scratchFile("schema")
        _ = try SQLiteStorage(path: path)
        _ = try SQLiteStorage(path: path)  // a second open applies nothing new
        let queue = try DatabaseQueue(path: path)
        let applied = try queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1: studies, trials, revisions"])
        let indexes = try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials' AND name NOT LIKE 'sqlite_%'") }
        #expect(Set(indexes) == ["trials_by_revision", "trials_by_state"])
        let plan = try queue.read {
            try Row.fetchAll($0, sql: "EXPLAIN QUERY PLAN SELECT * FROM trials WHERE study_id = 1 AND revision > 5 ORDER BY number").map { $0["detail"] as String }.joined(separator: " | ")
        }
        #expect(plan.contains("trials_by_revision") || plan.contains("sqlite_autoindex_trials_1"), "\(plan)")
        let mode = try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("connections opening a new file at once all find it migrated")
    func concurrentOpening() async throws {
        for _ in 0..<5 {
            let path = Backend.scratchFile("race")
            let opened = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<6 { group.addTask { (try? SQLiteStorage(path: path)) != nil } }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(opened.allSatisfy { $0 })
            #expect(try await SQLiteStorage(path: path).createStudy(name: "s", directions: [.minimize], loadIfExists: true).id == 1)
        }
    }

    @Test("bad files and URLs are clear errors that name them")
    func badInput() throws {
        let path = Backend.scratchFile("garbage")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StorageError.self) { try SQLiteStorage(path: path) }
        #expect(error?.description.contains(path) == true, "\(String(describing: error))")
        #expect(throws: StorageError.self) { try SQLiteStorage(url: "postgresql://localhost/db") }
        #expect(throws: StorageError.self) { try SQLiteStorage(url: "sqlite:///") }
        #expect(try SQLiteStorage.path(fromURL: "sqlite:///runs/h.db") == "runs/h.db")
        #expect(try SQLiteStorage.path(fromURL: "sqlite:////tmp/h.db") == "/tmp/h.db")
        // A directory that cannot be created.
        #expect(throws: StorageError.self) { try SQLiteStorage(path: "/proc/hypertune/h.db") }
    }
}

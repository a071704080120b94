import Foundation
import Hypertune
import HypertunePostgres
import HypertuneSQLite
import HypertuneTestSupport
import Testing

/// Real worker processes (`hypertune worker`, the built executable) sharing one study.
@Suite("Worker processes sharing a study", .serialized)
struct MultiProcessTests {
    /// The `hypertune` executable built beside the test binary.
    static var executable: URL { get throws { try BuiltExecutable.hypertune } }

    static func worker(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try executable
        process.arguments = ["worker"] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        return process
    }

    static func wait(_ process: Process) -> (status: Int32, stderr: String) {
        let data = (process.standardError as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A fresh store for worker processes: its URL and a storage object of this process on it.
    static func sharedStore(_ backend: Backend, _ name: String) async throws -> (url: String, storage: any Storage) {
        switch backend {
        case .postgres:
            let url = try await Backend.freshPostgresDatabase()
            return (url, try await PostgresStorage(url: url))
        default:
            let path = Backend.scratchFile(name)
            return ("sqlite:///" + path, try SQLiteStorage(path: path))
        }
    }

    static var processBackends: [Backend] { Backend.available.filter { $0 != .memory } }

    @Test("four worker processes on one store make exactly 200 trials between them, none twice", arguments: processBackends)
    func fourWorkers(_ backend: Backend) async throws {
        let (url, storage) = try await Self.sharedStore(backend, "workers")
        let workers = try (0..<4).map { _ in try Self.worker(["--storage", url, "--study", "shared", "--total-trials", "200", "--sampler", "tpe"]) }
        for w in workers {
            let (status, stderr) = Self.wait(w)
            #expect(status == 0, "a worker failed: \(stderr)")
        }
        let study = try #require(try await storage.study(named: "shared"))
        let trials = try await storage.trials(studyID: study.id, states: nil)
        #expect(trials.count == 200 && trials.map(\.number) == Array(0..<200))
        #expect(trials.allSatisfy { $0.state == .complete && $0.parameters.count == 6 && $0.values?.count == 1 })
        #expect(Set(trials.compactMap(\.worker)).count >= 2, "the trials were not shared between processes")
    }

    @Test("a worker killed with SIGKILL mid-trial: its trial is failed after the grace period and the study still reaches its total", arguments: processBackends)
    func killedWorker(_ backend: Backend) async throws {
        let (url, storage) = try await Self.sharedStore(backend, "killed")
        // A worker whose trials take a minute: killed while its first one runs.
        let doomed = try Self.worker(["--storage", url, "--study", "s", "--total-trials", "30", "--sleep-ms", "60000", "--heartbeat-ms", "100", "--grace-ms", "1000"])
        var running: FrozenTrial?
        for _ in 0..<600 where running == nil {
            try await Task.sleep(for: .milliseconds(50))
            if let study = try? await storage.study(named: "s") { running = try await storage.trials(studyID: study.id, states: [.running]).first }
        }
        let killed = try #require(running, "the worker never started a trial")
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        #expect(doomed.terminationReason == .uncaughtSignal)
        // Two fresh workers (after the grace period) finish the study.
        try await Task.sleep(for: .milliseconds(1200))
        let workers = try (0..<2).map { _ in try Self.worker(["--storage", url, "--study", "s", "--total-trials", "30", "--heartbeat-ms", "100", "--grace-ms", "1000"]) }
        for w in workers {
            let (status, stderr) = Self.wait(w)
            #expect(status == 0, "a worker failed: \(stderr)")
        }
        let study = try #require(try await storage.study(named: "s"))
        let trials = try await storage.trials(studyID: study.id, states: nil)
        #expect(trials.count == 30)
        let dead = trials[killed.number]
        #expect(dead.state == .failed && dead.failReason?.contains("heartbeat") == true, "\(dead.state) \(dead.failReason ?? "")")
        #expect(trials.filter { $0.number != killed.number }.allSatisfy { $0.state == .complete })
    }
}

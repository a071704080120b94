import Foundation
import Hypertune
import HypertuneCharts

/// One study as the dashboard last read it: its record, its trials and everything derived from
/// them — the summary, the parameters, table orders and rendered charts — computed once per
/// version and shared by every request until a trial changes.
///
/// Immutable but for its caches, which are guarded by a lock; a new version is a new snapshot,
/// so cached results can never describe trials other than ``trials``.
final class StudySnapshot: @unchecked Sendable {
    let record: StudyRecord
    let trials: [FrozenTrial]
    /// Changes whenever a trial is added, changes state or gets values, reports or attributes
    /// (heartbeats alone do not count), or the study record changes.
    let version: String
    let summary: StudySummary
    let parameters: [ParameterInfo]
    /// Whether the study records a gradient-based run (``HypergradientRecording``).
    let isHypergradient: Bool

    private let lock = NSLock()
    private var orders: [String: [Int32]] = [:]
    private var charts: [String: Result<String, ChartError>] = [:]
    private var numberIndex: [Int: Int]?

    /// A parameter as the study's trials have it.
    struct ParameterInfo: Sendable, Equatable {
        var name: String
        /// `float`, `int` or `categorical` (of the latest trial that has it).
        var type: String
        var log: Bool
        /// How many trials have it (fewer than all for conditional parameters).
        var count: Int
        var isNumeric: Bool { type != "categorical" }
    }

    init(record: StudyRecord, trials: [FrozenTrial], version: String) {
        self.record = record
        self.trials = trials
        self.version = version
        summary = StudySummary(record: record, trials: trials)
        var latest: [String: Distribution] = [:], counts: [String: Int] = [:]
        var hypergradient = false
        for t in trials {
            for (name, d) in t.distributions {
                latest[name] = d
                counts[name, default: 0] += 1
            }
            if !hypergradient && t.state == .complete && HypergradientRecording.iteration(of: t) != nil { hypergradient = true }
        }
        isHypergradient = hypergradient
        parameters = latest.keys.sorted().map { name in
            switch latest[name]! {
            case let .float(_, _, log, _): ParameterInfo(name: name, type: "float", log: log, count: counts[name]!)
            case let .int(_, _, log, _): ParameterInfo(name: name, type: "int", log: log, count: counts[name]!)
            case .categorical: ParameterInfo(name: name, type: "categorical", log: false, count: counts[name]!)
            }
        }
    }

    var history: StudyHistory { StudyHistory(directions: record.directions, trials: trials) }

    /// The trial with this number.
    /// - Complexity: O(1) after the first call on a snapshot (which indexes the trials).
    func trial(number: Int) -> FrozenTrial? {
        if number >= 0, number < trials.count, trials[number].number == number { return trials[number] }
        let index = lock.withLock { () -> [Int: Int] in
            if let numberIndex { return numberIndex }
            let built = Dictionary(trials.enumerated().map { ($0.element.number, $0.offset) }, uniquingKeysWith: { a, _ in a })
            numberIndex = built
            return built
        }
        return index[number].map { trials[$0] }
    }

    /// The indices of the trials in `states` (all when nil), in the table order `sort`.
    /// - Complexity: O(n log n) the first time for each order and filter, then O(1).
    func order(_ sort: TrialSort, states: Set<TrialState>?) -> [Int32] {
        let key = sort.key + "|" + (states.map { $0.map(\.rawValue).sorted().joined(separator: ",") } ?? "*")
        if let known = lock.withLock({ orders[key] }) { return known }
        let clock = ContinuousClock(), start = clock.now
        let computed = sort.order(trials, states: states)
        ServerTiming.record("sort", clock.now - start)
        lock.withLock {
            if orders.count >= 32 { orders.removeAll() }
            orders[key] = computed
        }
        return computed
    }

    /// A chart, rendered once per version and options.
    /// - Returns: the SVG markup, and whether it came from the cache.
    func chart(_ kind: StudyChart, options: StudyChartOptions, key: String) -> (Result<String, ChartError>, cached: Bool) {
        if let known = lock.withLock({ charts[key] }) { return (known, true) }
        let result = Result { () throws(ChartError) -> String in
            try StudyCharts.render(kind, history: history, studyName: record.name, options: options)
        }
        lock.withLock {
            if charts.count >= 64 { charts.removeAll() }
            charts[key] = result
        }
        return (result, false)
    }
}

/// The fingerprint behind ``StudySnapshot/version``: a 64-bit hash of what the pages show of
/// each trial — number, state, values, reports (count and sum), parameter and attribute counts,
/// failure and end time — and of the study record. Heartbeats are left out, so a running trial
/// does not make every chart stale every few seconds.
enum Fingerprint {
    struct Hasher64 {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func mix(_ word: UInt64) {
            state = (state ^ word) &* 0x0000_0100_0000_01B3
            state ^= state >> 29
        }
        mutating func mix(_ x: Double) { mix(x.bitPattern) }
        mutating func mix(_ i: Int) { mix(UInt64(bitPattern: Int64(i))) }
        mutating func mix(_ s: String) {
            mix(s.utf8.count)
            var word: UInt64 = 0, n = 0
            for b in s.utf8 {
                word = word << 8 | UInt64(b)
                n += 1
                if n == 8 { mix(word); word = 0; n = 0 }
            }
            if n > 0 { mix(word) }
        }
        var hex: String {
            var h = state
            h ^= h >> 33; h &*= 0xff51_afd7_ed55_8ccd; h ^= h >> 33
            let s = String(h, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
    }

    /// The version of a study with these trials.
    /// - Complexity: O(n + r) for n trials and r intermediate reports.
    static func version(_ record: StudyRecord, _ trials: [FrozenTrial]) -> String {
        var h = Hasher64()
        h.mix(record.id)
        h.mix(record.name)
        h.mix(JSONText.string(.object(record.systemAttributes)))
        h.mix(JSONText.string(.object(record.userAttributes)))
        h.mix(trials.count)
        for t in trials {
            h.mix(t.number)
            h.mix(t.state.rawValue.utf8.first.map(Int.init) ?? 0)
            if let values = t.values { for v in values { h.mix(v) } } else { h.mix(-1) }
            let reports = t.intermediateValues
            h.mix(reports.count)
            // An order-independent sum (dictionaries iterate in no fixed order).
            var sum: UInt64 = 0
            for (step, value) in reports { sum &+= (UInt64(bitPattern: Int64(step)) &* 0x9E37_79B9_7F4A_7C15) ^ value.bitPattern }
            h.mix(sum)
            h.mix(t.parameters.count &* 65_536 &+ t.userAttributes.count &* 256 &+ t.systemAttributes.count)
            h.mix(t.finishedAt?.timeIntervalSinceReferenceDate ?? -1)
            h.mix(t.failReason?.utf8.count ?? -1)
        }
        return h.hex
    }
}

/// Reads studies from the storage and keeps a snapshot per study: a request finds the current
/// one after one incremental read of the storage (the SQLite and PostgreSQL backends read only
/// the trials written since their last read), and concurrent requests for the same study share
/// one read.
final class StudySnapshots: @unchecked Sendable {
    let storage: any Storage
    private let lock = NSLock()
    private struct Entry {
        var snapshot: StudySnapshot
        /// The trials array of the latest read: when the storage returns the same buffer again,
        /// nothing changed.
        var seen: [FrozenTrial]
    }
    private var entries: [String: Entry] = [:]
    private var inflight: [String: Task<StudySnapshot, any Error>] = [:]

    init(storage: any Storage) { self.storage = storage }

    /// The study of this name as it is now, or nil if there is none.
    func snapshot(named name: String) async throws -> StudySnapshot? {
        guard let record = try await storage.study(named: name) else {
            lock.withLock { _ = entries.removeValue(forKey: name) }
            return nil
        }
        return try await snapshot(of: record)
    }

    /// The snapshot of a study whose record was just read.
    func snapshot(of record: StudyRecord) async throws -> StudySnapshot {
        let task = lock.withLock { () -> Task<StudySnapshot, any Error> in
            if let running = inflight[record.name] { return running }
            let previous = entries[record.name]
            let task = Task { try await self.load(record, previous: previous) }
            inflight[record.name] = task
            return task
        }
        return try await task.value
    }

    private func load(_ record: StudyRecord, previous: Entry?) async throws -> StudySnapshot {
        do {
            let trials = try await ServerTiming.measure("read") { try await storage.trials(studyID: record.id, states: nil) }
            let snapshot: StudySnapshot
            if let previous, previous.snapshot.record == record, Self.sameBuffer(previous.seen, trials) {
                snapshot = previous.snapshot
            } else {
                let version = await ServerTiming.measure("version") { Fingerprint.version(record, trials) }
                if let previous, previous.snapshot.version == version {
                    snapshot = previous.snapshot
                } else {
                    snapshot = await ServerTiming.measure("snapshot") { StudySnapshot(record: record, trials: trials, version: version) }
                }
            }
            lock.withLock {
                entries[record.name] = Entry(snapshot: snapshot, seen: trials)
                inflight[record.name] = nil
            }
            return snapshot
        } catch {
            lock.withLock { inflight[record.name] = nil }
            throw error
        }
    }

    /// Whether two arrays share their storage (then they hold the same trials: an array's
    /// buffer is never written while another array refers to it).
    static func sameBuffer(_ a: [FrozenTrial], _ b: [FrozenTrial]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        let pa = a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        let pb = b.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        return pa == pb
    }
}

import Dispatch
import Foundation
import GRDB
#if canImport(GRDBSQLite)
import GRDBSQLite
#else
import SQLite3
#endif
import Hypertune

/// A trial's row as SQLite returned it, with the bytes of its JSON columns copied into one
/// buffer: taken inside the database's queue, where each row costs only a copy, and decoded
/// outside it — in parallel when a read returns many rows (the first read of a big study: its
/// JSON parsing is most of the read).
struct StoredTrialRow {
    /// The columns of a trial, in the order ``init(_:)`` reads them by index.
    static let columns = """
        id, study_id, number, state, parameters, distributions, "values", intermediate_values, user_attributes, \
        system_attributes, fail_reason, started_at, finished_at, heartbeat_at, worker, revision
        """
    /// The indexes of the JSON columns in ``columns``, in the order they are kept in ``json``.
    private static let jsonColumns = 4...9

    let id: Int, studyID: Int, number: Int
    let state: String
    let failReason: String?
    let startedAt: Double?, finishedAt: Double?, heartbeatAt: Double?
    let worker: String?
    let revision: Int64
    /// The JSON columns back to back.
    private let json: [UInt8]
    /// Where each JSON column ends in ``json`` (lane k for column 4 + k), −1 for NULL.
    private let ends: SIMD8<Int32>

    /// Copies the current row of `statement`, a query of ``columns``: straight from SQLite's C
    /// interface (GRDB's typed accessors cost a `Data` and a conversion per column, which was
    /// half of reading a big study).
    init(_ statement: Statement) {
        let s = statement.sqliteStatement
        func text(_ i: Int32) -> String? {
            guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))), as: UTF8.self)
        }
        func real(_ i: Int32) -> Double? { sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_double(s, i) }
        id = Int(sqlite3_column_int64(s, 0))
        studyID = Int(sqlite3_column_int64(s, 1))
        number = Int(sqlite3_column_int64(s, 2))
        state = text(3) ?? ""
        failReason = text(10)
        startedAt = real(11)
        finishedAt = real(12)
        heartbeatAt = real(13)
        worker = text(14)
        revision = sqlite3_column_int64(s, 15)
        var json: [UInt8] = []
        json.reserveCapacity(512)
        var ends = SIMD8<Int32>(repeating: -1)
        for (lane, column) in Self.jsonColumns.enumerated() {
            let i = Int32(column)
            guard sqlite3_column_type(s, i) != SQLITE_NULL else { continue }
            // Text first, then its length (the order SQLite's documentation asks for).
            if let p = sqlite3_column_text(s, i) {
                json.append(contentsOf: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))))
            }
            ends[lane] = Int32(json.count)
        }
        self.json = json
        self.ends = ends
    }

    /// The rows of `statement` (a query of ``columns``) with `arguments`.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments) throws -> [StoredTrialRow] {
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        var rows: [StoredTrialRow] = []
        while try cursor.next() != nil { rows.append(StoredTrialRow(statement)) }
        return rows
    }

    /// The bytes of JSON column 4 + `lane` given to `read`; nil when the column is NULL.
    private func column<T>(_ lane: Int, _ read: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        guard ends[lane] >= 0 else { return nil }
        var start = 0
        for k in stride(from: lane - 1, through: 0, by: -1) where ends[k] >= 0 {
            start = Int(ends[k])
            break
        }
        return try json.withUnsafeBytes { try read(UnsafeRawBufferPointer(rebasing: $0[start..<Int(ends[lane])])) }
    }

    private func required<T>(_ lane: Int, _ read: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard let value = try column(lane, read) else {
            throw StorageError(.backend, "trial \(id): column \(Self.jsonColumns.lowerBound + lane) is NULL")
        }
        return value
    }

    /// The trial the row holds.
    func trial() throws -> FrozenTrial {
        func date(_ t: Double?) -> Date? { t.map(Date.init(timeIntervalSinceReferenceDate:)) }
        guard let state = TrialState(rawValue: state) else { throw StorageError(.backend, "trial \(id): unknown state '\(self.state)'") }
        return FrozenTrial(
            id: id, studyID: studyID, number: number, state: state,
            parameters: try required(0, StoredJSON.parameters(utf8:)),
            distributions: try required(1, StoredJSON.distributions(utf8:)),
            values: try column(2, StoredJSON.values(utf8:)),
            intermediateValues: try required(3, StoredJSON.reports(utf8:)),
            userAttributes: try required(4, StoredJSON.attributes(utf8:)),
            systemAttributes: try required(5, StoredJSON.attributes(utf8:)),
            failReason: failReason, startedAt: date(startedAt), finishedAt: date(finishedAt), heartbeatAt: date(heartbeatAt),
            worker: worker)
    }

    /// Below this many rows a read is decoded on the calling thread.
    static let parallelThreshold = 2000

    /// The trials of `rows`, in order: decoded on every core when there are many.
    /// - Complexity: O(total JSON bytes), divided among the active processors.
    static func trials(_ rows: [StoredTrialRow]) throws -> [FrozenTrial] {
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard rows.count >= parallelThreshold, workers > 1 else { return try rows.map { try $0.trial() } }
        // Contiguous slices, a few per worker so that a slow one is evened out.
        let slices = workers * 4
        var results = [Result<FrozenTrial, any Error>?](repeating: nil, count: rows.count)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                let range = rows.count * slice / slices..<rows.count * (slice + 1) / slices
                for i in range { out[i] = Result { try rows[i].trial() } }
            }
        }
        return try results.map { try $0!.get() }
    }
}

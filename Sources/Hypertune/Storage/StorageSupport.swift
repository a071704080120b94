import Foundation

/// JSON as storage backends keep structured values (parameters, distributions, attributes,
/// values) in their columns. Non-finite numbers (a diverged loss) are written as the strings
/// "NaN", "Infinity" and "-Infinity" and read back as numbers; keys are sorted.
public enum StoredJSON {
    /// A number as JSON text, non-finite ones as the strings ``string(_:)`` writes for them.
    public static func number(_ x: Double) -> String { JSONText.number(x) }

    // Configured once and shared: encoding keeps no state between calls.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    /// The stored text of `value`: the shapes of a trial's columns written directly
    /// (``StoredJSONWriter``), anything else by `JSONEncoder`.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        if let text = StoredJSONWriter.text(value) { return text }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Reads a stored value, with `JSONDecoder`'s result at a fraction of its cost (see
    /// ``JSONTree``); the shapes of a trial's columns are read without the `Decoder` machinery.
    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        var text = text
        return try text.withUTF8 { try decode(type, utf8: $0) }
    }

    static func decode<T: Decodable>(_ type: T.Type, utf8 bytes: UnsafeBufferPointer<UInt8>) throws -> T {
        switch type {
        case is [String: ParameterValue].Type: return try parameters(bytes) as! T
        case is [String: Distribution].Type: return try distributions(bytes) as! T
        case is [Int: Double].Type: return try reports(bytes) as! T
        case is [String: JSONValue].Type: return try attributes(bytes) as! T
        case is [Double].Type: return try values(bytes) as! T
        default:
            return try reading(T.self) { try JSONTreeDecoder.decode(type, from: try JSONTree(parsing: bytes), codingPath: []) }
        }
    }

    // MARK: The columns of a trial
    //
    // Concrete readers of the shapes a trial's columns have, from the UTF-8 bytes a backend
    // lends (no `String` of the column is made): no `Decoder` machinery, no dynamic casts.

    /// A trial's parameters: an object of numbers, strings and booleans.
    public static func parameters(utf8 bytes: UnsafeRawBufferPointer) throws -> [String: ParameterValue] { try parameters(bytes.bindMemory(to: UInt8.self)) }
    /// A trial's distributions: one `Distribution` per parameter (a study's trials mostly share
    /// one text, read once).
    public static func distributions(utf8 bytes: UnsafeRawBufferPointer) throws -> [String: Distribution] { try distributions(bytes.bindMemory(to: UInt8.self)) }
    /// A trial's intermediate values: an object from step (as a decimal key) to value.
    public static func reports(utf8 bytes: UnsafeRawBufferPointer) throws -> [Int: Double] { try reports(bytes.bindMemory(to: UInt8.self)) }
    /// User or system attributes: an object of any JSON.
    public static func attributes(utf8 bytes: UnsafeRawBufferPointer) throws -> [String: JSONValue] { try attributes(bytes.bindMemory(to: UInt8.self)) }
    /// A trial's objective values: an array of numbers.
    public static func values(utf8 bytes: UnsafeRawBufferPointer) throws -> [Double] { try values(bytes.bindMemory(to: UInt8.self)) }

    static func parameters(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [String: ParameterValue] {
        try reading([String: ParameterValue].self) {
            let members = try objectMembers(bytes)
            var result = [String: ParameterValue](minimumCapacity: members.count)
            for (key, m) in members {
                guard let v = ParameterValue(storedTree: m) else { throw mismatch(m, key, "a number, string or boolean") }
                result[key] = v
            }
            return result
        }
    }

    static func distributions(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [String: Distribution] {
        try reading([String: Distribution].self) {
            try DistributionTexts.shared.column(bytes) {
                try JSONTreeDecoder.decode([String: Distribution].self, from: try JSONTree(parsing: bytes), codingPath: [])
            }
        }
    }

    static func reports(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [Int: Double] {
        try reading([Int: Double].self) {
            let members = try objectMembers(bytes)
            var result = [Int: Double](minimumCapacity: members.count)
            for (key, m) in members {
                guard let step = Int(key), let x = m.double else { throw mismatch(m, key, "a number at an integer key") }
                result[step] = x
            }
            return result
        }
    }

    static func attributes(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [String: JSONValue] {
        try reading([String: JSONValue].self) {
            let members = try objectMembers(bytes)
            var result = [String: JSONValue](minimumCapacity: members.count)
            for (key, m) in members { result[key] = JSONValue(storedTree: m) }
            return result
        }
    }

    static func values(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [Double] {
        try reading([Double].self) {
            guard case let .array(elements) = try JSONTree(parsing: bytes) else { throw JSONShapeError(expected: "an array", found: nil) }
            return try elements.map { e in
                guard let x = e.double else { throw mismatch(e, nil, "a number") }
                return x
            }
        }
    }

    /// The members of a stored object: straight from the text when its values are scalars,
    /// from its tree otherwise (a duplicated key keeps its last value either way).
    private static func objectMembers(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [(key: String, value: JSONTree)] {
        if let members = try JSONTree.flatMembers(parsing: bytes) { return members }
        guard case let .object(members) = try JSONTree(parsing: bytes) else { throw JSONShapeError(expected: "an object", found: nil) }
        return Array(members)
    }

    private static func mismatch(_ found: JSONTree, _ key: String?, _ expected: String) -> JSONShapeError {
        JSONShapeError(expected: expected, found: found, key: key)
    }

    /// `body`'s result, its errors as a backend error naming the type.
    private static func reading<T>(_ type: T.Type, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw StorageError(.backend, "a stored \(T.self) does not decode: \(error)")
        }
    }
}

/// Stored JSON of the wrong shape for the column that holds it.
struct JSONShapeError: Error, CustomStringConvertible {
    let expected: String
    let found: JSONTree?
    var key: String? = nil
    var description: String {
        "expected \(expected)\(key.map { " at '\($0)'" } ?? "")\(found.map { ", found \($0.kind)" } ?? "")"
    }
}

/// Each study's trials as a backend last read them, with the revision it read up to: backends
/// that stamp every write with a revision committed in increasing order read only the trials
/// stamped since.
///
/// Reads may overlap (a progress display and a sampler, say): one that took its snapshot earlier
/// can finish later, with older versions of trials another has already merged. Each trial is
/// therefore kept with the revision it was read at, and replaced only by a newer one.
public final class TrialRevisionCache: @unchecked Sendable {
    private struct Entry {
        var revision: Int64 = 0
        var trials: [FrozenTrial] = []
        /// Trial id → (index in `trials`, revision of the version kept).
        var index: [Int: (position: Int, revision: Int64)] = [:]
    }

    private let lock = NSLock()
    private var studies: [Int: Entry] = [:]

    public init() {}

    public func revision(of study: Int) -> Int64 { lock.withLock { studies[study]?.revision ?? 0 } }

    public func forget(study: Int) { lock.withLock { studies[study] = nil } }

    /// The study's trials in number order once `changed` — trials with the revision of their
    /// last write, read in a snapshot up to `revision` — is merged in.
    public func merge(study: Int, _ changed: [(trial: FrozenTrial, revision: Int64)], upTo revision: Int64) -> [FrozenTrial] {
        lock.withLock {
            // Taken out of the table, so that the trials array is not shared while it changes
            // (which would copy every trial on each read).
            var entry = studies.removeValue(forKey: study) ?? Entry()
            var appended = false
            for (t, r) in changed {
                if let known = entry.index[t.id] {
                    guard r > known.revision else { continue }
                    entry.trials[known.position] = t
                    entry.index[t.id] = (known.position, r)
                } else {
                    entry.index[t.id] = (entry.trials.count, r)
                    entry.trials.append(t)
                    appended = true
                }
            }
            // New trials usually arrive in number order after those known (numbers are assigned
            // in commit order); a late, older snapshot can bring one out of order.
            if appended && !entry.trials.isSorted() {
                entry.trials.sort { $0.number < $1.number }
                for (i, t) in entry.trials.enumerated() { entry.index[t.id]?.position = i }
            }
            entry.revision = max(entry.revision, revision)
            studies[study] = entry
            return entry.trials
        }
    }
}

private extension [FrozenTrial] {
    func isSorted() -> Bool { zip(self, dropFirst()).allSatisfy { $0.number < $1.number } }
}

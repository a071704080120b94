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
        do {
            if type == [String: Distribution].self {
                return try DistributionTexts.shared.column(text) {
                    try JSONTreeDecoder.decode([String: Distribution].self, from: try JSONTree(parsing: text), codingPath: [])
                } as! T
            }
            let tree = try JSONTree(parsing: text)
            if let value = try direct(type, tree) { return value }
            return try JSONTreeDecoder.decode(type, from: tree, codingPath: [])
        } catch {
            throw StorageError(.backend, "a stored \(T.self) does not decode: \(error)")
        }
    }

    /// The hot shapes (parameters, reports, attributes, values) straight from the tree; nil
    /// for other types.
    private static func direct<T>(_ type: T.Type, _ tree: JSONTree) throws -> T? {
        func mismatch(_ found: JSONTree) -> DecodingError {
            .typeMismatch(T.self, .init(codingPath: [], debugDescription: "found \(found.kind)"))
        }
        switch type {
        case is [String: ParameterValue].Type:
            guard case let .object(members) = tree else { throw mismatch(tree) }
            return try members.mapValues { m in
                guard let v = ParameterValue(storedTree: m) else { throw mismatch(m) }
                return v
            } as? T
        case is [Int: Double].Type:
            guard case let .object(members) = tree else { throw mismatch(tree) }
            var result: [Int: Double] = [:]
            result.reserveCapacity(members.count)
            for (key, m) in members {
                guard let step = Int(key), let x = m.double else { throw mismatch(m) }
                result[step] = x
            }
            return result as? T
        case is [String: JSONValue].Type:
            guard case let .object(members) = tree else { throw mismatch(tree) }
            return members.mapValues(JSONValue.init(storedTree:)) as? T
        case is [Double].Type:
            guard case let .array(elements) = tree else { throw mismatch(tree) }
            return try elements.map { e in
                guard let x = e.double else { throw mismatch(e) }
                return x
            } as? T
        default:
            return nil
        }
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

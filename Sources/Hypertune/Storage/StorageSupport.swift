import Foundation

/// JSON as storage backends keep structured values (parameters, distributions, attributes,
/// values) in their columns. Non-finite numbers (a diverged loss) are written as the strings
/// "NaN", "Infinity" and "-Infinity" and read back as numbers; keys are sorted.
public enum StoredJSON {
    /// A number as JSON text, non-finite ones as the strings ``string(_:)`` writes for them.
    public static func number(_ x: Double) -> String {
        if x.isFinite { return "\(x)" }
        return x.isNaN ? "\"NaN\"" : x > 0 ? "\"Infinity\"" : "\"-Infinity\""
    }

    // Configured once and shared: encoding and decoding keep no state between calls.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()

    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw StorageError(.backend, "a stored \(T.self) does not decode: \(error)")
        }
    }
}

/// Each study's trials as a backend last read them, with the revision it read up to: backends
/// that stamp every write with a revision committed in increasing order read only the trials
/// stamped since.
public final class TrialRevisionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var studies: [Int: (revision: Int64, trials: [FrozenTrial], index: [Int: Int])] = [:]

    public init() {}

    public func revision(of study: Int) -> Int64 { lock.withLock { studies[study]?.revision ?? 0 } }

    public func forget(study: Int) { lock.withLock { studies[study] = nil } }

    /// The study's trials in number order once `changed` (read up to `revision`) is merged in.
    public func merge(study: Int, _ changed: [FrozenTrial], upTo revision: Int64) -> [FrozenTrial] {
        lock.withLock {
            var entry = studies[study] ?? (0, [], [:])
            for t in changed {
                if let i = entry.index[t.id] {
                    entry.trials[i] = t
                } else {
                    // New trials arrive in number order after those known (numbers are assigned
                    // in commit order), so appending keeps the list sorted.
                    entry.index[t.id] = entry.trials.count
                    entry.trials.append(t)
                }
            }
            if !entry.trials.isSorted() {
                entry.trials.sort { $0.number < $1.number }
                entry.index = Dictionary(uniqueKeysWithValues: entry.trials.enumerated().map { ($1.id, $0) })
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

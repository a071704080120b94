import Foundation

/// Writes the JSON that storage backends keep in their columns, for the shapes a trial's
/// bookkeeping writes on every trial — parameter values, attributes, objective values, reports,
/// and distributions — without `JSONEncoder`'s general machinery (about 4 µs per distribution).
///
/// The text is not byte for byte `JSONEncoder`'s (`3.0` stays `3.0`, `/` is not escaped), but it
/// reads back as the same values, by ``StoredJSON/decode(_:_:)`` and by `JSONDecoder` alike (a
/// test checks both); keys are sorted, and non-finite numbers are the strings ``StoredJSON``
/// names.
enum StoredJSONWriter {
    /// The text of `value` if it is one of the shapes written directly, else nil.
    static func text<T: Encodable>(_ value: T) -> String? {
        var out = ""
        switch value {
        case let v as ParameterValue: write(v, to: &out)
        case let v as JSONValue: write(v, to: &out)
        case let v as Distribution: return DistributionTexts.shared.text(of: v)
        case let v as [String: ParameterValue]: writeObject(v, to: &out) { write($0, to: &$1) }
        case let v as [String: JSONValue]: writeObject(v, to: &out) { write($0, to: &$1) }
        case let v as [String: Distribution]: writeObject(v, to: &out) { $1 += DistributionTexts.shared.text(of: $0) }
        case let v as [Int: Double]:
            writeObject(Dictionary(uniqueKeysWithValues: v.map { (String($0.key), $0.value) }), to: &out) { $1 += StoredJSON.number($0) }
        case let v as [Double]:
            out += "["
            for (i, x) in v.enumerated() {
                if i > 0 { out += "," }
                out += StoredJSON.number(x)
            }
            out += "]"
        default:
            return nil
        }
        return out
    }

    static func write(_ value: ParameterValue, to out: inout String) {
        switch value {
        case let .double(x): out += StoredJSON.number(x)
        case let .int(i): out += String(i)
        case let .string(s): writeString(s, to: &out)
        case let .bool(b): out += b ? "true" : "false"
        }
    }

    static func write(_ value: JSONValue, to out: inout String) {
        JSONText.write(value, pretty: false, indent: 0, to: &out)
    }

    /// An object with its members in the order of their sorted keys.
    static func writeObject<V>(_ members: [String: V], to out: inout String, _ writeValue: (V, inout String) -> Void) {
        out += "{"
        for (i, key) in members.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            writeString(key, to: &out)
            out += ":"
            writeValue(members[key]!, &out)
        }
        out += "}"
    }

    static func writeString(_ s: String, to out: inout String) { JSONText.writeString(s, to: &out) }
}

/// The stored text of each distribution, and the distributions of each stored text: a study's
/// trials draw from the same few distributions, so each is encoded and decoded once (by its
/// `Codable` conformance, the one definition of its format) and looked up afterwards.
///
/// Bounded: past `capacity` entries a table starts over.
final class DistributionTexts: @unchecked Sendable {
    static let shared = DistributionTexts()
    static let capacity = 4096

    private let lock = NSLock()
    private var texts: [Distribution: String] = [:]
    private var columns: [String: [String: Distribution]] = [:]
    func text(of distribution: Distribution) -> String {
        if let text = lock.withLock({ texts[distribution] }) { return text }
        // A distribution always encodes: numbers, strings and booleans (non-finite numbers as
        // strings).
        let text = String(decoding: try! StoredJSON.encoder.encode(distribution), as: UTF8.self)
        lock.withLock {
            if texts.count >= Self.capacity { texts.removeAll() }
            texts[distribution] = text
        }
        return text
    }

    /// The distributions a stored column holds, decoded by `decode` the first time. The column
    /// read last is compared byte for byte first: a study's trials mostly share one text, which
    /// then costs neither a `String` nor a hash of it.
    func column(_ bytes: UnsafeBufferPointer<UInt8>, decode: () throws -> [String: Distribution]) rethrows -> [String: Distribution] {
        let hit = lock.withLock { () -> [String: Distribution]? in
            guard !bytes.isEmpty, let last, last.bytes.count == bytes.count,
                  last.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) else { return nil }
            return last.column
        }
        if let hit { return hit }
        let text = String(decoding: bytes, as: UTF8.self)
        let column = try lock.withLock({ columns[text] }) ?? decode()
        lock.withLock {
            if columns.count >= Self.capacity { columns.removeAll() }
            columns[text] = column
            last = (Array(bytes), column)
        }
        return column
    }

    /// The column ``column(_:decode:)`` returned last, with its text.
    private var last: (bytes: [UInt8], column: [String: Distribution])?
}

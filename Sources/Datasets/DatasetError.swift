/// Why a dataset could not be loaded, with a message that names the file and, where it helps,
/// what to do about it.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case directoryNotFound, fileNotFound, unreadable, corruptCompression, notIDX, truncated, mismatchedCounts
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

import Foundation

/// Why an export could not be written; its description names the path.
///
/// Match a kind with `~=`: `catch ExportError.Code.alreadyExists { … }`.
public struct ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kinds of failure; more may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A directory could not be created, or a file stands where a directory should be.
        public static let unusableDirectory = Code(name: "unusableDirectory")
        /// A file could not be written.
        public static let cannotWrite = Code(name: "cannotWrite")
        /// The destination already holds an export, and replacing was not asked for.
        public static let alreadyExists = Code(name: "alreadyExists")
        public var description: String { name }

        /// Whether `error` is an ``ExportError`` of this kind.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? ExportError)?.code == code
        }
    }

    public let code: Code
    /// The file or directory concerned.
    public let path: String
    let reason: String

    public var description: String { reason }

    static func unusableDirectory(_ url: URL, _ detail: String) -> ExportError {
        ExportError(code: .unusableDirectory, path: url.path, reason: "cannot use the directory '\(url.path)': \(detail)")
    }

    static func cannotWrite(_ url: URL, reason: String) -> ExportError {
        ExportError(code: .cannotWrite, path: url.path, reason: "cannot write '\(url.path)': \(reason)")
    }

    static func alreadyExists(_ url: URL, _ what: String) -> ExportError {
        ExportError(code: .alreadyExists, path: url.path,
                    reason: "'\(url.path)' already holds \(what); remove it, choose another directory, or replace it")
    }
}

import Foundation

/// A trial's checkpoint: a directory where the trial leaves the state later trials continue from
/// (a model's weights, an optimiser's moments), and the directory of the trial it continues, if
/// any. Population-based training hands each trial one (see
/// ``PopulationBasedTraining/checkpoint(for:)``).
///
/// The contract is a directory so that any program can keep its state there, in any format:
/// - A Swift objective uses ``save(_:as:)`` and ``load(_:from:)`` (JSON of any `Codable` value),
///   or writes its own files into ``directory``.
/// - An external program receives the two paths in its environment (``environment``):
///   `HYPERTUNE_CHECKPOINT_DIR`, where it writes, and `HYPERTUNE_RESTORE_DIR`, where it reads —
///   absent when the trial starts from scratch.
///
/// Directories are `ROOT/trial-N`, N the trial's number, so they outlive the process: a resumed
/// study finds its checkpoints where it left them.
public struct TrialCheckpoint: Sendable, Hashable {
    /// Where this trial saves its state (created when first saved to, or by
    /// ``prepareDirectory()``).
    public let directory: URL
    /// Where the state this trial continues from was saved; nil when it starts from scratch.
    public let restoreDirectory: URL?

    /// The environment variables that carry the two directories to an external program.
    public static let directoryVariable = "HYPERTUNE_CHECKPOINT_DIR", restoreVariable = "HYPERTUNE_RESTORE_DIR"

    /// The checkpoint of trial `trial` under `root`, continuing trial `parent`'s.
    public init(root: URL, trial: Int, restoringFrom parent: Int?) {
        directory = Self.directory(root: root, trial: trial)
        restoreDirectory = parent.map { Self.directory(root: root, trial: $0) }
    }

    /// The directory of trial `trial` under `root`.
    public static func directory(root: URL, trial: Int) -> URL {
        root.appendingPathComponent("trial-\(trial)", isDirectory: true)
    }

    /// `HYPERTUNE_CHECKPOINT_DIR` and, when there is one, `HYPERTUNE_RESTORE_DIR`.
    public var environment: [String: String] {
        var variables = [Self.directoryVariable: directory.path]
        if let restoreDirectory { variables[Self.restoreVariable] = restoreDirectory.path }
        return variables
    }

    /// Creates ``directory`` (and its parents) if it does not exist, for a program that writes
    /// into it itself.
    public func prepareDirectory() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError("cannot create the checkpoint directory \(directory.path): \(error.localizedDescription)")
        }
    }

    /// Saves `value` as JSON in file `name` of ``directory``, atomically (a reader never sees a
    /// half-written file).
    public func save<T: Encodable>(_ value: T, as name: String = "state.json") throws {
        try prepareDirectory()
        let file = directory.appendingPathComponent(name)
        do {
            try JSONEncoder().encode(value).write(to: file, options: .atomic)
        } catch {
            throw CheckpointError("cannot write the checkpoint \(file.path): \(error.localizedDescription)")
        }
    }

    /// The value saved as file `name` by the trial this one continues; nil when it starts from
    /// scratch.
    /// - Throws: ``CheckpointError`` when the file is missing or does not decode as `T`.
    public func load<T: Decodable>(_ type: T.Type, from name: String = "state.json") throws -> T? {
        guard let restoreDirectory else { return nil }
        let file = restoreDirectory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw CheckpointError("the checkpoint \(file.path) to continue from is missing (did the earlier trial save it?)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw CheckpointError("the checkpoint \(file.path) does not hold a \(T.self): \(error)")
        }
    }
}

/// A checkpoint that cannot be written or read.
public struct CheckpointError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

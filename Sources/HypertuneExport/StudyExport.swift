import Foundation
import Hypertune

/// The formats of `hypertune export STUDY --format csv|json|tensorboard --out DIR`.
public enum StudyExportFormat: String, CaseIterable, Sendable {
    /// `DIR/<study>.csv`: ``StudyExport/csv(_:directions:)``.
    case csv
    /// `DIR/<study>.json`: ``TrialJSON``, indented.
    case json
    /// `DIR/<study>/…`: ``TensorBoardExport``; view with `tensorboard --logdir DIR/<study>`.
    case tensorboard
}

/// One entry point for every export format, as the CLI's `hypertune export` calls it.
///
/// The study's name becomes a file or directory name through ``fileName(for:)``, so a name
/// such as `../x` or `a/b` cannot leave `DIR`.
public enum StudyExport {
    /// Writes `trials` of the study `studyName` in `format` under `directory` (created if needed)
    /// and returns the files written.
    ///
    /// - Parameter replacing: overwrite an earlier export of the same study in `directory`;
    ///   without it, one is an error (``ExportError/Code/alreadyExists``).
    /// - Throws: ``ExportError`` naming the path that could not be created or written.
    @discardableResult
    public static func export(format: StudyExportFormat, studyName: String, directions: [StudyDirection], trials: [FrozenTrial],
                              to directory: URL, replacing: Bool = false) throws(ExportError) -> [URL] {
        let name = fileName(for: studyName)
        switch format {
        case .csv, .json:
            try ExportFiles.makeDirectory(directory)
            let file = directory.appendingPathComponent(name + "." + format.rawValue)
            if !replacing, FileManager.default.fileExists(atPath: file.path) {
                throw .alreadyExists(file, "an export of the study")
            }
            let text = format == .csv ? csv(trials, directions: directions) : TrialJSON.encode(trials, directions: directions, pretty: true)
            try ExportFiles.write(Array(text.utf8), to: file)
            return [file]
        case .tensorboard:
            return try TensorBoardExport.write(studyName: studyName, directions: directions, trials: trials,
                                               to: directory.appendingPathComponent(name, isDirectory: true), replacing: replacing)
        }
    }

    /// The trials as RFC 4180 CSV (``TrialTable``): number, state, one value column per
    /// objective, every parameter, every user attribute, `datetime_start`, `datetime_complete`,
    /// `duration_s`, `fail_reason`.
    public static func csv(_ trials: [FrozenTrial], directions: [StudyDirection]) -> String {
        TrialTable(trials: trials, objectives: max(1, directions.count), times: true).csv
    }

    /// The file or directory name of a study's export: the name with path separators, reserved
    /// characters and control characters replaced by `_`, never hidden, `.` or `..`, at most 200
    /// UTF-8 bytes.
    public static func fileName(for studyName: String) -> String {
        ExportFiles.safeName(studyName)
    }
}

extension Study {
    /// Exports this study's trials in `format` under `directory`: ``StudyExport/export(format:studyName:directions:trials:to:replacing:)``
    /// with the study's name, directions and current trials.
    @discardableResult
    public func export(format: StudyExportFormat, to directory: URL, replacing: Bool = false) async throws -> [URL] {
        try StudyExport.export(format: format, studyName: name, directions: directions, trials: try await trials(), to: directory, replacing: replacing)
    }
}

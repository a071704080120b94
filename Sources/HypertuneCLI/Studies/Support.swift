import ArgumentParser
import Foundation
import Hypertune
import HypertuneRunner
#if canImport(Glibc)
import Glibc
#endif

/// `--storage URL`, shared by the commands that read or write studies: the embedded SQLite file
/// `hypertune.db` in the current directory unless told otherwise (or `HYPERTUNE_STORAGE`).
struct StorageOption: ParsableArguments {
    @Option(help: ArgumentHelp("Storage URL: sqlite:///relative.db, sqlite:////absolute.db, postgresql://user:password@host:port/database or memory: (default: $HYPERTUNE_STORAGE, else sqlite:///hypertune.db).", valueName: "url"))
    var storage: String?

    var url: String { storage ?? ProcessInfo.processInfo.environment["HYPERTUNE_STORAGE"] ?? "sqlite:///hypertune.db" }

    func open() async throws -> any Storage { try await StorageURL.open(url) }
}

extension Storage {
    /// The study of this name.
    /// - Throws: ``CLIError`` naming the studies there are when there is none of that name.
    func requireStudy(_ name: String, url: String) async throws -> StudyRecord {
        if let record = try await study(named: name) { return record }
        let names = try await allStudies().map(\.name)
        let known = names.isEmpty ? "it holds no study" : "its studies: \(names.joined(separator: ", "))"
        throw CLIError("no study named '\(name)' in \(url) (\(known))")
    }
}

/// Ctrl-C (SIGINT) and SIGTERM while studies run: the first asks the run to stop — no new trial
/// starts, running programs are stopped and their trials recorded as FAILED — and the second
/// quits at once.
final class InterruptHandler: @unchecked Sendable {
    let stop = StopSignal()
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    private(set) var signalName: String?

    /// Starts handling; `onFirst` is told which signal came.
    init(onFirst: @escaping @Sendable (String) -> Void) {
        for (signal, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let n = self.lock.withLock { () -> Int in
                    self.count += 1
                    if self.signalName == nil { self.signalName = name }
                    return self.count
                }
                if n == 1 {
                    onFirst(name)
                    self.stop.stop()
                } else {
                    FileHandle.standardError.write(Data("\nhypertune: stopped at once (\(name) again); running trials will be failed by the next worker after their grace period\n".utf8))
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    var interrupted: Bool { stop.isStopped }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// Formatting shared by the study commands.
enum Format {
    /// `0:07`, `12:30`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// A value with five significant digits.
    static func value(_ x: Double) -> String { String(format: "%.5g", x) }

    static func values(_ xs: [Double]) -> String { xs.count == 1 ? value(xs[0]) : "[" + xs.map(value).joined(separator: ", ") + "]" }

    /// `lr=0.001 model=svm` in name order.
    static func parameters(_ p: [String: ParameterValue]) -> String {
        p.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
}

/// Whether a file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

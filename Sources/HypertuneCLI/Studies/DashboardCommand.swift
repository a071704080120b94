import ArgumentParser
import Foundation
import Hypertune
import HypertuneDashboard

/// `hypertune dashboard [URL]`: the web dashboard of a study store, live while studies run.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the web dashboard of a study store (live while studies run).",
        discussion: """
        Opens http://127.0.0.1:8080/ by default: the loopback interface only. Serving on other \
        interfaces (--host 0.0.0.0) should go with an access token (--token or \
        $\(DashboardConfiguration.tokenEnvironmentVariable)): every page, API call and static file \
        then needs it, as 'Authorization: Bearer <token>' or once as '?token=<token>' in the \
        browser, which keeps it in an HttpOnly cookie.
        """)

    @Argument(help: ArgumentHelp("Storage URL: sqlite:///relative.db, sqlite:////absolute.db, postgresql://user:password@host:port/database (default: $HYPERTUNE_STORAGE, else sqlite:///hypertune.db).", valueName: "storage-url"))
    var storage: String?

    @Option(help: "Interface to bind: 127.0.0.1 (this machine only) unless told otherwise; 0.0.0.0 for every interface.")
    var host: String = DashboardConfiguration.defaultHost

    @Option(help: "TCP port (0: any free port).")
    var port: Int = DashboardConfiguration.defaultPort

    @Option(help: "Access token required by every request (default: $\(DashboardConfiguration.tokenEnvironmentVariable); none when unset).")
    var token: String?

    @Option(help: "Seconds between the pages' checks for new trials.")
    var refresh: Double = 2

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        guard refresh >= 0.25, refresh <= 3600 else { throw ValidationError("--refresh must be between 0.25 and 3600 seconds, got \(refresh)") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        let url = storage ?? ProcessInfo.processInfo.environment["HYPERTUNE_STORAGE"] ?? "sqlite:///hypertune.db"
        guard url != "memory:" else { throw CLIError("a memory: store lives in one process; the dashboard needs the store studies write to (sqlite:///…, postgresql://…)") }
        let store = try await StorageURL.open(url)
        let token = (self.token ?? ProcessInfo.processInfo.environment[DashboardConfiguration.tokenEnvironmentVariable]).flatMap { $0.isEmpty ? nil : $0 }
        let configuration = DashboardConfiguration(host: host, port: port, token: token, refreshInterval: refresh, storageLabel: Self.redacted(url))
        var err = FileHandle.standardError
        if configuration.isExposed && token == nil {
            print("warning: serving on \(host) without an access token: anyone who can reach this machine can read the studies (set --token or $\(DashboardConfiguration.tokenEnvironmentVariable))", to: &err)
        }
        let shownHost = configuration.isExposed && (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host
        try await Dashboard(storage: store, configuration: configuration).run { port in
            var line = "Hypertune dashboard of \(Self.redacted(url)): http://\(shownHost.contains(":") ? "[\(shownHost)]" : shownHost):\(port)/"
            if let token { line += "?token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token) }
            print(line)
            print("Press Ctrl-C to stop.")
            fflush(nil)
        }
    }

    /// A storage URL without its password (`postgresql://user:***@host/db`).
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

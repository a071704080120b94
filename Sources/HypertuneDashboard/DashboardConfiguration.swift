import Foundation

/// How a dashboard is served: where it listens, whether it asks for a token, how often its
/// pages poll for changes.
///
/// The defaults are the safe ones: the loopback interface only (`127.0.0.1`), so a study store
/// is never exposed to the network unless `host` is set to another address on purpose.
public struct DashboardConfiguration: Sendable, Equatable {
    /// The address bound unless told otherwise: the loopback interface.
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    /// The environment variable `hypertune dashboard` reads the access token from when
    /// `--token` is not given.
    public static let tokenEnvironmentVariable = "HYPERTUNE_DASHBOARD_TOKEN"
    /// The cookie that carries the token once a browser has opened a URL with `?token=`.
    public static let tokenCookie = "hypertune_token"

    /// The interface to bind (`127.0.0.1` by default; `0.0.0.0` for every interface).
    public var host: String
    /// The TCP port (0: any free port, reported once the server runs).
    public var port: Int
    /// When set, every request (pages, API, static files) must carry it: `Authorization:
    /// Bearer <token>`, the cookie ``tokenCookie``, or `?token=` (which sets the cookie and
    /// redirects to the URL without it). An empty string counts as no token.
    public var token: String?
    /// How often the pages ask whether the study changed, in seconds.
    public var refreshInterval: Double
    /// What the pages call the store (a storage URL without its password), or nil.
    public var storageLabel: String?
    /// Whether to read every study once the server listens, so that the first page of a big
    /// study does not wait for the store's first full read (later reads are incremental).
    public var preload: Bool

    public init(host: String = defaultHost, port: Int = defaultPort, token: String? = nil,
                refreshInterval: Double = 2, storageLabel: String? = nil, preload: Bool = true) {
        self.host = host
        self.port = port
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.refreshInterval = refreshInterval
        self.storageLabel = storageLabel
        self.preload = preload
    }

    /// Whether the server listens beyond this machine (neither a loopback address nor
    /// `localhost`).
    public var isExposed: Bool {
        !(host == "localhost" || host == "::1" || host.hasPrefix("127."))
    }
}

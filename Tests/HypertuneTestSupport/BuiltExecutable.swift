import Foundation

/// The executables the package builds, found beside the running test bundle: the tests that
/// run `hypertune` as a user runs it share this.
public enum BuiltExecutable {
    /// A product missing from the build folder.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The built `hypertune` executable.
    public static var hypertune: URL {
        get throws { try named("hypertune") }
    }

    /// The built executable `name`: in the test bundle's folder or the one above it (where
    /// SwiftPM puts products on Linux and on macOS).
    public static func named(_ name: String) throws -> URL {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for candidate in [products, products.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw Missing(description: "no \(name) executable beside \(products.path); build the package first")
    }
}

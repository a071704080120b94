// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode plus explicit `any` and imports.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Hypertune",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "Hypergradients", targets: ["Hypergradients"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "HypertuneCharts", targets: ["HypertuneCharts"]),
        .library(name: "Hypertune", targets: ["Hypertune"]),
        .library(name: "HypertuneSQLite", targets: ["HypertuneSQLite"]),
        .library(name: "HypertunePostgres", targets: ["HypertunePostgres"]),
        .library(name: "HypertuneExport", targets: ["HypertuneExport"]),
        .library(name: "HypertuneRunner", targets: ["HypertuneRunner"]),
        .library(name: "HypertuneConfig", targets: ["HypertuneConfig"]),
        .library(name: "HypertuneDashboard", targets: ["HypertuneDashboard"]),
        .executable(name: "hypertune", targets: ["HypertuneCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // OpenBLAS through pkg-config on Linux; Accelerate is used instead on Apple platforms.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Hand-written SIMD kernels for the shapes BLAS handles poorly (skinny products),
        // compiled per instruction set and chosen at run time.
        .target(name: "CAutogradKernels"),
        .target(
            name: "Autograd",
            dependencies: [
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
                "CAutogradKernels",
                .product(name: "Numerics", package: "swift-numerics"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Datasets",
            dependencies: ["Autograd", "CZlib"],
            swiftSettings: swiftSettings
        ),
        // SVG charts: drawing primitives, and the charts of a study's trials.
        .target(name: "HypertuneCharts", dependencies: ["Hypertune"], swiftSettings: swiftSettings),
        // Trials as CSV and JSON, and TensorBoard event files (scalars and the HParams plugin).
        .target(name: "HypertuneExport", dependencies: ["Hypertune"], swiftSettings: swiftSettings),
        // Objective programs in any language: argv templates (no shell), the output protocol,
        // pruning, time-outs.
        .target(
            name: "HypertuneRunner",
            dependencies: [
                "Hypertune",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web dashboard over any store: Hummingbird, the study charts, a JSON API.
        .target(
            name: "HypertuneDashboard",
            dependencies: ["Hypertune", "HypertuneCharts", "HypertuneExport", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        // Study configuration files (YAML or JSON) with errors that name the file, line and key.
        .target(
            name: "HypertuneConfig",
            dependencies: ["Hypertune", "HypertuneRunner", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hypertune",
            dependencies: ["Autograd", "CAutogradKernels", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        // Storage on SQLite (GRDB, the system's libsqlite3): the embedded default.
        .target(
            name: "HypertuneSQLite",
            dependencies: [
                "Hypertune", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C interface, which GRDB wraps: a big read takes its rows' bytes directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: swiftSettings
        ),
        // Storage on PostgreSQL (PostgresNIO): many workers on many machines.
        .target(
            name: "HypertunePostgres",
            dependencies: ["Hypertune", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HypertuneExperiments",
            dependencies: ["Autograd", "Datasets", "Hypergradients", "HypertuneCharts", "Hypertune"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hypergradients",
            dependencies: ["Autograd", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HypertuneCLI",
            dependencies: [
                "Autograd",
                "Datasets",
                "Hypergradients",
                "HypertuneExperiments",
                "Hypertune",
                "HypertuneSQLite",
                "HypertunePostgres",
                "HypertuneCharts",
                "HypertuneExport",
                "HypertuneRunner",
                "HypertuneConfig",
                "HypertuneDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Numerics", package: "swift-numerics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AutogradTests",
            dependencies: [
                "Autograd",
                "CAutogradKernels",
                .product(name: "Numerics", package: "swift-numerics"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "Autograd"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneTests",
            dependencies: ["Hypertune", "Autograd", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        // What the tests that run the built executables share.
        .target(name: "HypertuneTestSupport", path: "Tests/HypertuneTestSupport", swiftSettings: swiftSettings),
        // One conformance suite for every Storage backend.
        .testTarget(
            name: "StorageTests",
            // The CLI for its worker processes (the multi-process tests run the built binary).
            dependencies: ["Hypertune", "HypertuneSQLite", "HypertunePostgres", "HypertuneCLI", "HypertuneTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneChartsTests",
            dependencies: ["HypertuneCharts", "Hypertune"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneExportTests",
            dependencies: ["HypertuneExport", "Hypertune"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneRunnerTests",
            dependencies: ["HypertuneRunner", "Hypertune"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneConfigTests",
            dependencies: ["HypertuneConfig", "HypertuneRunner", "Hypertune"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneDashboardTests",
            dependencies: [
                "HypertuneDashboard", "Hypertune", "HypertuneCLI", "HypertuneTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // End-to-end: the built `hypertune` binary on example configs and objective programs.
        .testTarget(
            name: "CLITests",
            dependencies: ["HypertuneCLI", "Hypertune", "HypertuneSQLite", "HypertuneExport", "HypertuneTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypertuneExperimentsTests",
            dependencies: ["HypertuneExperiments", "Hypertune", "Datasets", "Autograd"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HypergradientsTests",
            dependencies: [
                "Hypergradients",
                "Autograd",
                .product(name: "Numerics", package: "swift-numerics"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks of the Autograd engine (ordo-one/benchmark), kept in their own package so the
// main package and its tests do not build the benchmark tooling.
//
//     cd Benchmarks && swift package benchmark                # run all
//     swift package benchmark baseline update main            # record a baseline
//     swift package benchmark baseline check main             # compare with thresholds
let package = Package(
    name: "HypertuneBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Hypertune", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AutogradBenchmarks",
            dependencies: [
                .product(name: "Autograd", package: "Hypertune"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/AutogradBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)

import ArgumentParser
import Autograd
import Foundation

/// `hypertune bench autograd`: the engine benchmark of BENCHMARKS.md §1.
///
/// Softmax regression on the data hyper-cleaning shape (X ∈ R^{5000×784}, Float, 10 classes,
/// per-example weights): loss only, loss + gradient with respect to (W, b), and a Hessian–vector
/// product; a 512×512 matrix product through `Tensor` and through the raw BLAS call; and the
/// per-operation cost of recording on tiny tensors. Medians over repetitions after warm-up.
struct AutogradBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd",
        abstract: "Benchmark the tensor and automatic-differentiation engine.")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "A peer result file in the same schema (e.g. from peers/hg_jax.py --part autograd) to compare against.")
    var peer: String?

    struct Row: Codable {
        var `case`: String
        var seconds: Double
        var gflops: Double?
    }

    struct Comparison: Codable {
        var `case`: String
        var hypertune_seconds: Double
        var peer_seconds: Double
        /// Hypertune's time divided by the peer's (below 1: Hypertune is faster).
        var ratio: Double
    }

    struct Report: Codable {
        var benchmark = "autograd"
        var rows: [Row]
        var checks: [String: Double]
        var env: [String: String]
        var peer: String?
        var comparison: [Comparison]?
    }

    struct PeerReport: Codable {
        var rows: [Row]
    }

    func validate() throws {
    }

    func run() throws {
        options.apply()
        var peerRows: [Row]? = nil
        if let peer {
            guard let data = FileManager.default.contents(atPath: peer) else {
                throw CLIError("cannot read the peer result file \(peer)")
            }
            do {
                peerRows = try JSONDecoder().decode(PeerReport.self, from: data).rows
            } catch {
                throw CLIError("\(peer) is not a benchmark result with rows of {case, seconds}: \(error)")
            }
        }
        var rows: [Row] = []
        var checks: [String: Double] = [:]
        let reps = options.repetitions

        var g = SeededGenerator(seed: 0)
        // Recording cost per operation on tiny tensors: a chain of 2000 operations on 8 elements,
        // recorded and swept back, against the same chain on plain tensors.
        let small = Tensor<Float>(randomUniform: [8], generator: &g)
        let chainLength = 1000
        func chain(_ x: Tensor<Float>) -> Tensor<Float> {
            var y = x
            for _ in 0..<chainLength { y = y * small + small }
            return y.sum()
        }
        let tPlain = BenchmarkSupport.medianSeconds(repetitions: reps) { _ = chain(small) }
        let tTaped = BenchmarkSupport.medianSeconds(repetitions: reps) { _ = gradient(at: small, of: chain) }
        let opCount = Double(2 * chainLength + 1)
        rows.append(Row(case: "tape_overhead_small_op", seconds: tTaped / opCount, gflops: nil))
        rows.append(Row(case: "plain_small_op", seconds: tPlain / opCount, gflops: nil))

        // Softmax regression, as peers/hg_jax.py --part autograd.
        let n = 5000, d = 784, k = 10
        let x = Tensor<Float>(randomUniform: [n, d], generator: &g)
        let labels = (0..<n).map { _ in Int(g.next() % UInt64(k)) }
        let lambda = Tensor<Float>(randomUniform: [n], generator: &g)
        let w = Tensor<Float>(randomNormal: [d, k], standardDeviation: 0.01, generator: &g)
        let bias = Tensor<Float>(zeros: [k])
        let vw = Tensor<Float>(randomNormal: [d, k], generator: &g)
        let vb = Tensor<Float>(ones: [k])
        func loss(_ p: [Tensor<Float>]) -> Tensor<Float> {
            crossEntropy(logits: matmul(x, p[0]) + p[1], labels: labels, weights: lambda)
        }
        let flopsLoss = 2.0 * Double(n * d * k)
        let tLoss = BenchmarkSupport.medianSeconds(repetitions: reps) { _ = loss([w, bias]) }
        rows.append(Row(case: "softreg_loss", seconds: tLoss, gflops: flopsLoss / tLoss / 1e9))
        let tGrad = BenchmarkSupport.medianSeconds(repetitions: reps) { _ = valueWithGradient(at: [w, bias], of: loss) }
        rows.append(Row(case: "softreg_loss_grad", seconds: tGrad, gflops: 2 * flopsLoss / tGrad / 1e9))
        let tHVP = BenchmarkSupport.medianSeconds(repetitions: reps) {
            _ = hessianVectorProduct(at: [w, bias], along: [vw, vb], of: loss)
        }
        rows.append(Row(case: "softreg_hvp", seconds: tHVP, gflops: 4 * flopsLoss / tHVP / 1e9))
        checks["softreg_grad_over_loss"] = tGrad / tLoss
        checks["softreg_hvp_over_loss"] = tHVP / tLoss
        // 512×512 matrix product, through Tensor and through the raw BLAS call, measured
        // alternately. Last: OpenBLAS's worker threads keep spinning for a while after a call,
        // which would take the second core away from the cases above.
        let a = Tensor<Float>(randomUniform: [512, 512], generator: &g)
        let b = Tensor<Float>(randomUniform: [512, 512], generator: &g)
        let flops512 = 2.0 * 512 * 512 * 512
        var c = [Float](repeating: 0, count: 512 * 512)
        let (tMatmul, tRaw) = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BenchmarkSupport.pairedMedianSeconds(repetitions: 3 * reps) {
                        _ = matmul(a, b)
                    } _: {
                        Float.blasGEMM(
                            transposeA: false, transposeB: false, m: 512, n: 512, k: 512, alpha: 1,
                            a: pa.baseAddress!, lda: 512, b: pb.baseAddress!, ldb: 512, beta: 0,
                            c: pc.baseAddress!, ldc: 512)
                    }
                }
            }
        }
        rows.append(Row(case: "matmul_512", seconds: tMatmul, gflops: flops512 / tMatmul / 1e9))
        rows.append(Row(case: "matmul_512_raw_blas", seconds: tRaw, gflops: flops512 / tRaw / 1e9))
        checks["matmul_512_overhead_vs_raw_blas"] = tMatmul / tRaw - 1

        checks["peak_rss_mb"] = BenchmarkSupport.peakRSSMegabytes

        var report = Report(
            rows: rows, checks: checks, env: BenchmarkSupport.environment(threads: ComputeThreads.count), peer: peer)
        if let peerRows {
            report.comparison = rows.compactMap { row in
                guard let p = peerRows.first(where: { $0.case == row.case }) else { return nil }
                return Comparison(case: row.case, hypertune_seconds: row.seconds, peer_seconds: p.seconds, ratio: row.seconds / p.seconds)
            }
        }
        try BenchmarkSupport.writeJSON(report, to: options.json)
        printSummary(report)
    }

    func printSummary(_ report: Report) {
        var out = FileHandle.standardError
        print("case                        seconds       GFLOP/s   peer seconds   ratio", to: &out)
        for row in report.rows {
            let peerRow = report.comparison?.first { $0.case == row.case }
            let gf = row.gflops.map { String(format: "%8.1f", $0) } ?? "       -"
            let ps = peerRow.map { String(format: "%12.6f", $0.peer_seconds) } ?? "           -"
            let ratio = peerRow.map { String(format: "%6.2f", $0.ratio) } ?? "     -"
            print("\(row.case.padding(toLength: 26, withPad: " ", startingAt: 0))  \(String(format: "%.6e", row.seconds))  \(gf)   \(ps)  \(ratio)", to: &out)
        }
        for (k, v) in report.checks.sorted(by: { $0.key < $1.key }) {
            print("\(k): \(String(format: "%.3f", v))", to: &out)
        }
    }
}

extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}

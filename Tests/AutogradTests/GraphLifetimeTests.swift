@testable import Autograd
import Foundation
import RealModule
import Testing

/// The graph recorded for a derivative lives only as long as something uses it, and plain
/// evaluation records nothing.
@Suite("Graph lifetime and no-gradient evaluation")
struct GraphLifetimeTests {
    typealias T = Tensor<Double>

    final class WeakNode: @unchecked Sendable {
        weak var node: Node<Double>?
        init(_ node: Node<Double>?) { self.node = node }
    }

    @Test("the graph is freed when the pullback goes")
    func graphFreedWithPullback() {
        let x = T([1, 2, 3])
        var watch: WeakNode? = nil
        do {
            let (values, pullback) = valueWithPullback(at: [x]) { [exp($0[0]) * $0[0]] }
            watch = WeakNode(pullback.outputNodes[0])
            #expect(watch?.node != nil)
            #expect(values[0].isTracked == false, "top-level values are returned without their graph")
            _ = pullback([T(ones: [3])])
        }
        #expect(watch?.node == nil)
    }

    @Test("repeated gradient calls do not accumulate graph nodes")
    func noGrowthAcrossCalls() {
        let w = T(shape: [3, 2], scalars: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6])
        let x = T(shape: [4, 3], scalars: (0..<12).map { Double($0) / 12 })
        var watched: [WeakNode] = []
        var last: T? = nil
        for _ in 0..<200 {
            let (value, g) = valueWithGradient(at: w) { w in
                let node = WeakNode(nil)
                let y = tanh(matmul(x, w)).sum()
                node.node = y.node
                watched.append(node)
                return y
            }
            #expect(!value.isTracked && !g.isTracked)
            last = g
        }
        #expect(last != nil)
        #expect(watched.allSatisfy { $0.node == nil }, "some graph outlived its gradient call")
    }

    @Test("a graph tens of thousands of operations deep is freed without deep recursion")
    func deepGraphOnSmallStack() async {
        // Freeing node by node recursively would need far more than this thread's 256 KiB.
        let depth = 30_000
        let result = await withCheckedContinuation { (done: CheckedContinuation<Double, Never>) in
            let thread = Thread {
                let g = gradient(at: T([0.5])) { x in
                    var y = x
                    for _ in 0..<depth { y = y * 0.9999 + 0.0001 }
                    return y.sum()
                }
                done.resume(returning: g.scalar)
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
        #expect(result.isApproximatelyEqual(to: Double.pow(0.9999, depth), relativeTolerance: 1e-9))
    }

    @Test("operations on plain tensors carry no derivative information")
    func plainTensorsStayPlain() {
        let x = T([1, 2, 3])
        let y = (exp(x) * 2 + x).sum()
        #expect(!y.isTracked)
    }

    @Test("withoutDerivatives records no graph even on tracked inputs")
    func noGradientScope() {
        let x = T([1, 2, 3])
        let (_, pullback) = valueWithPullback(at: [x]) { xs in
            let tracked = xs[0] * 2
            #expect(tracked.isTracked)
            let untracked = withoutDerivatives { tracked * tracked }
            #expect(!untracked.isTracked)
            return [tracked + untracked]
        }
        // Only the tracked path contributes: d(2x + const)/dx = 2.
        #expect(pullback([T(ones: [3])])[0].scalars == [2, 2, 2])
    }

    @Test("detached tensors are constants")
    func detachStopsGradients() {
        let x = T([1.5])
        let g = gradient(at: x) { x in (x * x.detached).sum() }
        #expect(g.scalars == [1.5])
    }

    @Test("the gradient of an unused input is zero")
    func unusedInput() {
        let g = gradient(at: [T([1, 2]), T([3])]) { xs in xs[0].sum() }
        #expect(g[0].scalars == [1, 1])
        #expect(g[1].scalars == [0])
    }

    @Test("copy-on-write keeps values independent")
    func copyOnWrite() {
        var a = T([1, 2, 3])
        let b = a
        a[scalarAt: 0] = 10
        #expect(a.scalars == [10, 2, 3])
        #expect(b.scalars == [1, 2, 3])
    }
}

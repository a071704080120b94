import Autograd
import Foundation
import Testing

/// Shape errors stop the program with a message naming the operation and both shapes.
@Suite("Shape errors")
struct ShapeErrorTests {
    @Test("incompatible matrix product")
    func matmulMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Float>(zeros: [3, 4]), Tensor<Float>(zeros: [5, 2]))
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("matmul"), "\(stderr)")
        #expect(stderr.contains("[3, 4]") && stderr.contains("[5, 2]"), "\(stderr)")
    }

    @Test("operands that do not broadcast")
    func broadcastMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>(zeros: [2, 3]) + Tensor<Double>(zeros: [4])
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("add") && stderr.contains("[2, 3]") && stderr.contains("[4]"), "\(stderr)")
    }

    @Test("reshape to a different element count")
    func reshapeMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>(zeros: [2, 3]).reshaped(to: [4, 2])
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("reshape") && stderr.contains("[2, 3]") && stderr.contains("[4, 2]"), "\(stderr)")
    }

    @Test("cross-entropy labels that do not match the logits")
    func labelMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(logits: Tensor<Double>(zeros: [3, 2]), labels: [0, 1])
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("crossEntropy") && stderr.contains("[3, 2]"), "\(stderr)")
    }
}

import Autograd
@testable import Datasets
import Foundation
import Testing

@Suite("Datasets")
struct DatasetsTests {
    /// A fresh temporary directory.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-datasets-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A tiny MNIST-family dataset (5×4 pixel images) written as IDX files, compressed or not.
    static func writeFixture(in directory: URL, train: Int = 30, test: Int = 10, compressed: Bool = true) -> (trainImages: [UInt8], trainLabels: [UInt8]) {
        var g = SeededGenerator(seed: 3)
        func images(_ n: Int) -> IDXArray { IDXArray(dimensions: [n, 5, 4], bytes: (0..<(n * 20)).map { _ in UInt8(g.next() % 256) }) }
        func labels(_ n: Int) -> IDXArray { IDXArray(dimensions: [n], bytes: (0..<n).map { _ in UInt8(g.next() % 10) }) }
        let files: [(String, IDXArray)] = [
            ("train-images-idx3-ubyte", images(train)), ("train-labels-idx1-ubyte", labels(train)),
            ("t10k-images-idx3-ubyte", images(test)), ("t10k-labels-idx1-ubyte", labels(test)),
        ]
        for (name, array) in files {
            let bytes = compressed ? GZip.compress(array.encoded) : array.encoded
            FileManager.default.createFile(atPath: directory.appendingPathComponent(compressed ? name + ".gz" : name).path, contents: Data(bytes))
        }
        return (files[0].1.bytes, files[1].1.bytes)
    }

    @Test("IDX files round-trip, plain and gzip-compressed", arguments: [false, true])
    func loadFixture(compressed: Bool) throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (pixels, labels) = Self.writeFixture(in: dir, compressed: compressed)
        let (train, test) = try MNISTFamily.fashionMNIST.load(from: dir)
        #expect(train.count == 30 && test.count == 10)
        #expect(train.images.shape == [30, 20])
        #expect(train.labels == labels.map(Int.init))
        #expect(train.images.scalars == pixels.map { Float($0) / 255 })
    }

    @Test("gzip round trip, including several concatenated members")
    func gzip() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 300) }
        let packed = GZip.compress(data)
        #expect(GZip.isCompressed(packed) && packed.count < data.count)
        #expect(try GZip.decompress(packed) == data)
        #expect(try GZip.decompress(GZip.compress([1, 2, 3]) + GZip.compress([4, 5])) == [1, 2, 3, 4, 5])
    }

    func expectError(_ kind: DatasetError.Kind, mentioning words: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a \(kind) error")
        } catch let error as DatasetError {
            #expect(error.kind == kind, "\(error)")
            for w in words { #expect(error.description.contains(w), "\(error.description) should mention \(w)") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a missing directory says where it looked and how to install the data")
    func missingDirectory() {
        expectError(.directoryNotFound, mentioning: ["/nonexistent/fashion", "--data-dir", "apt-get install dataset-fashion-mnist"]) {
            _ = try MNISTFamily.fashionMNIST.directory(explicit: "/nonexistent/fashion")
        }
        expectError(.directoryNotFound, mentioning: ["/nowhere", "MNIST_DIR"]) {
            _ = try MNISTFamily.mnist.directory(environment: ["MNIST_DIR": "/nowhere"])
        }
    }

    @Test("missing, truncated, corrupt and inconsistent files are named")
    func badFiles() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = Self.writeFixture(in: dir, compressed: false)
        let labels = dir.appendingPathComponent("train-labels-idx1-ubyte")
        let images = dir.appendingPathComponent("train-images-idx3-ubyte")
        let original = try Data(contentsOf: images)

        try FileManager.default.removeItem(at: labels)
        expectError(.fileNotFound, mentioning: ["train-labels-idx1-ubyte"]) { _ = try MNISTFamily.fashionMNIST.load(from: dir) }

        FileManager.default.createFile(atPath: labels.path, contents: Data(IDXArray(dimensions: [29], bytes: [UInt8](repeating: 1, count: 29)).encoded))
        expectError(.mismatchedCounts, mentioning: ["30 images", "29 labels", "train-labels-idx1-ubyte"]) { _ = try MNISTFamily.fashionMNIST.load(from: dir) }

        FileManager.default.createFile(atPath: labels.path, contents: Data(IDXArray(dimensions: [30], bytes: [UInt8](repeating: 12, count: 30)).encoded))
        expectError(.notIDX, mentioning: ["label 12"]) { _ = try MNISTFamily.fashionMNIST.load(from: dir) }

        FileManager.default.createFile(atPath: images.path, contents: original.prefix(original.count - 7))
        expectError(.truncated, mentioning: ["train-images-idx3-ubyte", "truncated"]) { _ = try IDXArray.read(images) }

        FileManager.default.createFile(atPath: images.path, contents: Data([0x50, 0x4b, 0x03, 0x04] + [UInt8](repeating: 0, count: 40)))
        expectError(.notIDX, mentioning: ["train-images-idx3-ubyte", "magic number 0x504b0304"]) { _ = try IDXArray.read(images) }

        var corrupt = GZip.compress([UInt8](original))
        for i in 20..<40 { corrupt[i] ^= 0x5a }
        FileManager.default.createFile(atPath: images.path, contents: Data(corrupt))
        expectError(.corruptCompression, mentioning: ["train-images-idx3-ubyte", "gzip"]) { _ = try IDXArray.read(images) }
    }

    @Test("splits are disjoint and reproducible from a seed")
    func splits() {
        let n = 200
        let data = ImageClassificationData(images: Tensor(shape: [n, 1], scalars: (0..<n).map(Float.init)), labels: (0..<n).map { $0 % 10 }, classes: 10)
        let a = data.split(sizes: [50, 60], seed: 7), b = data.split(sizes: [50, 60], seed: 7), c = data.split(sizes: [50, 60], seed: 8)
        #expect(a[0].images.scalars == b[0].images.scalars && a[1].labels == b[1].labels)
        #expect(a[0].images.scalars != c[0].images.scalars)
        let ids = (a[0].images.scalars + a[1].images.scalars).map(Int.init)
        #expect(Set(ids).count == 110)
        // Labels travel with their images.
        #expect(zip(a[1].images.scalars, a[1].labels).allSatisfy { Int($0) % 10 == $1 })
    }

    @Test("label corruption flips exactly the requested number, always to a different class")
    func corruption() {
        let n = 5000
        var g = SeededGenerator(seed: 1)
        let labels = (0..<n).map { _ in Int(g.next() % 10) }
        let data = ImageClassificationData(images: Tensor(zeros: [n, 1]), labels: labels, classes: 10)
        let (noisy, mask) = data.corruptingLabels(count: 2500, seed: 0)
        #expect(mask.filter { $0 }.count == 2500)
        #expect(zip(zip(labels, noisy), mask).allSatisfy { pair, corrupted in corrupted == (pair.0 != pair.1) })
        #expect(data.corruptingLabels(count: 2500, seed: 0).labels == noisy)
        // The replacement class is uniform over the nine others: each offset about 2500/9 times.
        var offsets = [Int](repeating: 0, count: 10)
        for i in 0..<n where mask[i] { offsets[(noisy[i] - labels[i] + 10) % 10] += 1 }
        #expect(offsets[0] == 0)
        #expect(offsets[1...].allSatisfy { abs($0 - 278) < 60 }, "\(offsets)")
    }

    @Test("the installed Fashion-MNIST, when present, has 60000 + 10000 examples of 784 pixels")
    func realFashionMNIST() throws {
        guard let dir = try? MNISTFamily.fashionMNIST.directory() else { return }
        let (train, test) = try MNISTFamily.fashionMNIST.load(from: dir)
        #expect(train.count == 60000 && test.count == 10000 && train.images.shape[1] == 784)
        #expect(Set(train.labels) == Set(0..<10))
    }
}

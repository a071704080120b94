import Autograd
import Foundation

/// Images and integer labels of a classification dataset, images flattened to rows of pixels
/// scaled to `[0, 1]`.
public struct ImageClassificationData: Sendable {
    /// Shape `[n, pixels]`.
    public var images: Tensor<Float>
    public var labels: [Int]
    public var classes: Int

    public init(images: Tensor<Float>, labels: [Int], classes: Int) {
        precondition(images.rank == 2 && images.shape[0] == labels.count, "ImageClassificationData: \(labels.count) labels for images \(images.shape)")
        self.images = images
        self.labels = labels
        self.classes = classes
    }

    public var count: Int { labels.count }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageClassificationData {
        ImageClassificationData(images: images.gathering(indices), labels: indices.map { labels[$0] }, classes: classes)
    }

    /// Disjoint random subsets of the given sizes, reproducible from `seed`: a uniformly random
    /// permutation (Fisher–Yates with ``SeededGenerator``) cut into consecutive pieces.
    public func split(sizes: [Int], seed: UInt64) -> [ImageClassificationData] {
        precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) <= count, "split: sizes \(sizes) exceed the \(count) examples")
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return subset(Array(order[start..<(start + size)]))
        }
    }

    /// The labels with exactly `count` of them, chosen uniformly at random, replaced by a
    /// uniformly random *different* class; reproducible from `seed`. Returns the noisy labels and
    /// which examples were corrupted.
    public func corruptingLabels(count corrupted: Int, seed: UInt64) -> (labels: [Int], corrupted: [Bool]) {
        precondition(corrupted >= 0 && corrupted <= count, "corruptingLabels: cannot corrupt \(corrupted) of \(count) labels")
        precondition(classes >= 2, "corruptingLabels: needs at least two classes")
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        for i in 0..<corrupted {
            order.swapAt(i, i + Int(generator.next() % UInt64(count - i)))
        }
        var noisy = labels
        var mask = [Bool](repeating: false, count: count)
        for i in order[0..<corrupted] {
            noisy[i] = (labels[i] + 1 + Int(generator.next() % UInt64(classes - 1))) % classes
            mask[i] = true
        }
        return (noisy, mask)
    }
}

/// The MNIST family of datasets in IDX files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally gzip-compressed (`.gz`).
public enum MNISTFamily: String, Sendable, CaseIterable {
    case fashionMNIST = "fashion-mnist"
    case mnist

    /// The environment variable that points at the dataset's directory.
    public var environmentVariable: String {
        switch self {
        case .fashionMNIST: return "FASHION_MNIST_DIR"
        case .mnist: return "MNIST_DIR"
        }
    }

    /// Where Debian's package installs the files (`dataset-fashion-mnist`); MNIST has no package.
    public var systemDirectory: String { "/usr/share/datasets/\(rawValue)" }

    var displayName: String { self == .fashionMNIST ? "Fashion-MNIST" : "MNIST" }

    var installHint: String {
        switch self {
        case .fashionMNIST:
            return "install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data-dir DIR or set FASHION_MNIST_DIR to a directory with its four IDX files"
        case .mnist:
            return "download MNIST's four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into a directory and pass --data-dir DIR or set MNIST_DIR"
        }
    }

    /// The directory to read: `explicit` if given, else the environment variable, else the system
    /// directory.
    /// - Throws: ``DatasetError`` saying which directory is missing and how to get the data.
    public func directory(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(DatasetError) -> URL {
        let (path, source): (String, String) =
            if let explicit { (explicit, "--data-dir") }
            else if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { (fromEnvironment, environmentVariable) }
            else { (systemDirectory, "the default location") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(.directoryNotFound, "\(displayName): directory \(path) (from \(source)) does not exist; \(installHint)")
        }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Loads the training and test sets from `directory`.
    /// - Throws: ``DatasetError`` naming the file that is missing, corrupt or inconsistent.
    public func load(from directory: URL) throws(DatasetError) -> (train: ImageClassificationData, test: ImageClassificationData) {
        (try loadSplit(directory, "train"), try loadSplit(directory, "t10k"))
    }

    func file(_ directory: URL, _ name: String) throws(DatasetError) -> URL {
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DatasetError(.fileNotFound, "\(displayName): \(directory.path)/\(name).gz (or \(name)) not found; \(installHint)")
    }

    func loadSplit(_ directory: URL, _ prefix: String) throws(DatasetError) -> ImageClassificationData {
        let imageFile = try file(directory, "\(prefix)-images-idx3-ubyte")
        let labelFile = try file(directory, "\(prefix)-labels-idx1-ubyte")
        let images = try IDXArray.read(imageFile), labels = try IDXArray.read(labelFile)
        guard images.dimensions.count == 3 else {
            throw DatasetError(.notIDX, "\(imageFile.path): expected 3 dimensions (images × rows × columns), found \(images.dimensions)")
        }
        guard labels.dimensions.count == 1 else {
            throw DatasetError(.notIDX, "\(labelFile.path): expected 1 dimension (labels), found \(labels.dimensions)")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError(.mismatchedCounts, "\(imageFile.path) holds \(images.dimensions[0]) images but \(labelFile.path) holds \(labels.dimensions[0]) labels")
        }
        let n = images.dimensions[0], pixels = images.dimensions[1] * images.dimensions[2]
        let labelValues = labels.bytes.map(Int.init)
        if let bad = labelValues.firstIndex(where: { $0 > 9 }) {
            throw DatasetError(.notIDX, "\(labelFile.path): label \(labelValues[bad]) at index \(bad) is not a class 0…9")
        }
        let tensor = Tensor<Float>(shape: [n, pixels], scalars: images.bytes.map { Float($0) / 255 })
        return ImageClassificationData(images: tensor, labels: labelValues, classes: 10)
    }
}

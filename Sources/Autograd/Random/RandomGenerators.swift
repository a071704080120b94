import RealModule

/// A seeded pseudo-random generator whose sequence is identical on every platform and run:
/// xoshiro256** (Blackman & Vigna, 2018), seeded through SplitMix64.
///
/// Use it wherever results must be reproducible from a seed: tensor initialisation, data
/// splits, samplers. `Random.split()` derives independent streams.
/// - Complexity: O(1) per 64-bit output.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator seeded from `seed`.
    @inlinable
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A new generator on an independent stream, derived from this one's next output.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    /// A uniform sample in `[0, 1)` with the full precision of `S` (53 or 24 random bits).
    @inlinable
    public mutating func nextUnit<S: TensorScalar>(_: S.Type = S.self) -> S {
        let bits = S.significandBitCount + 1
        return S(next() >> UInt64(64 - bits)) * S.ulpOfOne / 2
    }

    /// A standard normal sample (Box–Muller transform; one of the pair is discarded so the
    /// sequence does not depend on how many values were drawn before).
    @inlinable
    public mutating func nextNormal<S: TensorScalar>(_: S.Type = S.self) -> S {
        var u1: Double = nextUnit()
        while u1 == 0 { u1 = nextUnit() }
        let u2: Double = nextUnit()
        return S(Double.sqrt(-2 * Double.log(u1)) * Double.cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// A tensor of independent uniform samples in `[lower, upper)`.
    @inlinable
    public init(randomUniform shape: Shape, lower: Scalar = 0, upper: Scalar = 1, generator: inout SeededGenerator) {
        precondition(lower <= upper, "randomUniform: lower bound \(lower) exceeds upper bound \(upper)")
        var g = generator
        self.init(shape: shape) { out in
            for i in 0..<out.count { out[i] = lower + (upper - lower) * g.nextUnit() }
        }
        generator = g
    }

    /// A tensor of independent normal samples with the given mean and standard deviation.
    @inlinable
    public init(randomNormal shape: Shape, mean: Scalar = 0, standardDeviation: Scalar = 1, generator: inout SeededGenerator) {
        precondition(standardDeviation >= 0, "randomNormal: negative standard deviation \(standardDeviation)")
        var g = generator
        self.init(shape: shape) { out in
            for i in 0..<out.count { out[i] = mean + standardDeviation * g.nextNormal() }
        }
        generator = g
    }
}

import Foundation

/// The Delaunay triangulation of points in the plane: no point lies strictly inside the
/// circumcircle of any triangle, so among all triangulations it maximises the smallest angle —
/// the triangulation scipy's `griddata(method="linear")` (Qhull) interpolates on.
///
/// Built by Bowyer–Watson insertion (Bowyer 1981, Watson 1981): start from a triangle enclosing
/// everything; for each point, find the triangle containing it by a visibility walk from the
/// last triangle made, grow the *cavity* of triangles whose circumcircle contains the point
/// (a connected, star-shaped region) through the adjacency links, and re-triangulate the cavity
/// by joining its boundary edges to the point. Points are inserted along a serpentine order of a
/// √n × √n grid of cells, so consecutive points are close and each walk is short. Finally the
/// triangles touching the enclosing triangle are dropped: what remains covers the convex hull
/// of the points (up to slivers along nearly straight hull edges, which a finite enclosing
/// triangle can miss — places where the interpolant is then undefined, never wrong).
///
/// Floating-point predicates, with two safeguards for degenerate input (grids of integer
/// parameters give many collinear and cocircular points): a point on an edge opens both
/// triangles beside it, and a point whose cavity would not be star-shaped is skipped (counted
/// in ``skipped``); a point equal to an earlier one is skipped too.
/// - Complexity: O(n log n) expected for the sort, plus O(n) expected cavity and walk work for
///   points in general position; O(n) memory.
public struct DelaunayTriangulation: Sendable {
    /// The input points.
    public let points: [(x: Double, y: Double)]
    /// Triangles as indices into ``points``, each counter-clockwise.
    public let triangles: [(Int, Int, Int)]
    /// How many points were left out (duplicates or numerically degenerate insertions).
    public let skipped: Int

    public init(points: [(x: Double, y: Double)]) {
        self.points = points
        let finite = points.indices.filter { points[$0].x.isFinite && points[$0].y.isFinite }
        guard finite.count >= 3 else {
            triangles = []
            skipped = points.count
            return
        }
        // Work in the unit square (one scale for both axes: the Delaunay property is invariant
        // under similarities only), so the tolerances and the enclosing triangle fit any units.
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for i in finite {
            minX = min(minX, points[i].x); maxX = max(maxX, points[i].x)
            minY = min(minY, points[i].y); maxY = max(maxY, points[i].y)
        }
        let span = max(maxX - minX, maxY - minY) > 0 ? max(maxX - minX, maxY - minY) : 1
        var builder = Builder(capacity: points.count)
        for i in points.indices {
            builder.xs.append((points[i].x - minX) / span)
            builder.ys.append((points[i].y - minY) / span)
        }
        builder.addEnclosingTriangle()
        // Serpentine order over a grid of cells: rows bottom to top, alternating direction.
        let cells = max(1, Int(Double(finite.count / 2).squareRoot()))
        func key(_ i: Int) -> Int {
            let row = min(cells - 1, Int(builder.ys[i] * Double(cells)))
            let column = min(cells - 1, Int(builder.xs[i] * Double(cells)))
            return row * cells + (row % 2 == 0 ? column : cells - 1 - column)
        }
        let keyed: [(key: Int, index: Int)] = finite.map { (key($0), $0) }
        let order = keyed.sorted { a, b in a.key != b.key ? a.key < b.key : a.index < b.index }.map(\.index)
        var skipped = points.count - finite.count
        for i in order where !builder.insert(i) { skipped += 1 }
        self.skipped = skipped
        triangles = builder.realTriangles(pointCount: points.count)
    }

    /// The mutable state of the construction: coordinates, and triangles as flat arrays.
    struct Builder {
        var xs: [Double] = [], ys: [Double] = []
        /// Vertices of triangle t at 3t, 3t+1, 3t+2 (counter-clockwise).
        var vertices: [Int] = []
        /// Neighbour of triangle t across the edge opposite its vertex k at 3t+k (−1: none).
        var neighbours: [Int] = []
        var alive: [Bool] = []
        var free: [Int] = []
        /// Visit stamps for the cavity search (a triangle is in the current cavity when its
        /// stamp equals `stamp`).
        var marks: [Int] = []
        var stamp = 0
        var last = 0
        var superVertex = 0

        init(capacity: Int) {
            xs.reserveCapacity(capacity + 3)
            ys.reserveCapacity(capacity + 3)
            vertices.reserveCapacity(6 * capacity + 3)
            neighbours.reserveCapacity(6 * capacity + 3)
        }

        /// A triangle enclosing the unit square with a wide margin (not so wide that the
        /// in-circle determinants lose the precision of the unit-square points).
        mutating func addEnclosingTriangle() {
            superVertex = xs.count
            xs += [-60, 61, 0.5]
            ys += [-40, -40, 80]
            vertices = [superVertex, superVertex + 1, superVertex + 2]
            neighbours = [-1, -1, -1]
            alive = [true]
            marks = [0]
        }

        func orient(_ a: Int, _ b: Int, _ px: Double, _ py: Double) -> Double {
            (xs[b] - xs[a]) * (py - ys[a]) - (ys[b] - ys[a]) * (px - xs[a])
        }

        /// Positive when (px, py) is strictly inside the circumcircle of counter-clockwise t.
        func inCircle(_ t: Int, _ px: Double, _ py: Double) -> Double {
            let a = vertices[3 * t], b = vertices[3 * t + 1], c = vertices[3 * t + 2]
            let adx = xs[a] - px, ady = ys[a] - py
            let bdx = xs[b] - px, bdy = ys[b] - py
            let cdx = xs[c] - px, cdy = ys[c] - py
            return (adx * adx + ady * ady) * (bdx * cdy - cdx * bdy)
                - (bdx * bdx + bdy * bdy) * (adx * cdy - cdx * ady)
                + (cdx * cdx + cdy * cdy) * (adx * bdy - bdx * ady)
        }

        /// The triangle containing (px, py): a visibility walk from the last triangle made,
        /// falling back to a scan if the walk does not settle.
        func locate(_ px: Double, _ py: Double) -> Int {
            var t = alive[last] ? last : (alive.firstIndex(of: true) ?? 0)
            var steps = 0
            let limit = 4 * alive.count + 64
            walk: while steps < limit {
                steps += 1
                for r in 0..<3 {
                    let k = (r + steps) % 3  // rotate the first edge tried, so the walk cannot cycle
                    let a = vertices[3 * t + (k + 1) % 3], b = vertices[3 * t + (k + 2) % 3]
                    if orient(a, b, px, py) < 0, neighbours[3 * t + k] >= 0 {
                        t = neighbours[3 * t + k]
                        continue walk
                    }
                }
                return t
            }
            for s in alive.indices where alive[s] {
                let a = vertices[3 * s], b = vertices[3 * s + 1], c = vertices[3 * s + 2]
                if orient(a, b, px, py) >= 0 && orient(b, c, px, py) >= 0 && orient(c, a, px, py) >= 0 { return s }
            }
            return t
        }

        /// Inserts point `p`; false when it is skipped.
        mutating func insert(_ p: Int) -> Bool {
            let px = xs[p], py = ys[p]
            let start = locate(px, py)
            stamp += 1
            var cavity = [start]
            marks[start] = stamp
            for k in 0..<3 {
                let v = vertices[3 * start + k]
                if (xs[v] - px) * (xs[v] - px) + (ys[v] - py) * (ys[v] - py) < 1e-24 { return false }  // a duplicate
                // On (or within rounding of) an edge: the triangle across joins the cavity.
                let a = vertices[3 * start + (k + 1) % 3], b = vertices[3 * start + (k + 2) % 3]
                let n = neighbours[3 * start + k]
                if n >= 0, abs(orient(a, b, px, py)) <= 1e-13, marks[n] != stamp {
                    marks[n] = stamp
                    cavity.append(n)
                }
            }
            var boundary: [(a: Int, b: Int, outside: Int)] = []
            var i = 0
            while i < cavity.count {
                let t = cavity[i]
                i += 1
                for k in 0..<3 {
                    let n = neighbours[3 * t + k]
                    if n >= 0 && marks[n] == stamp { continue }
                    if n >= 0 && inCircle(n, px, py) > 0 {
                        marks[n] = stamp
                        cavity.append(n)
                        continue
                    }
                    boundary.append((vertices[3 * t + (k + 1) % 3], vertices[3 * t + (k + 2) % 3], n))
                }
            }
            // A boundary edge seen before its outside triangle joined the cavity is inside it.
            boundary.removeAll { $0.outside >= 0 && marks[$0.outside] == stamp }
            // The cavity must be star-shaped from p: every boundary edge sees p on its left.
            guard boundary.allSatisfy({ orient($0.a, $0.b, px, py) > 0 }) else { return false }
            for t in cavity {
                alive[t] = false
                free.append(t)
            }
            // One new triangle (a, b, p) per boundary edge, linked to the outside and to each other.
            var startingAt: [Int: Int] = [:], endingAt: [Int: Int] = [:]
            var made: [Int] = []
            made.reserveCapacity(boundary.count)
            for edge in boundary {
                let t = newTriangle(edge.a, edge.b, p)
                neighbours[3 * t + 2] = edge.outside
                if edge.outside >= 0 {
                    for k in 0..<3 where vertices[3 * edge.outside + (k + 1) % 3] == edge.b && vertices[3 * edge.outside + (k + 2) % 3] == edge.a {
                        neighbours[3 * edge.outside + k] = t
                    }
                }
                startingAt[edge.a] = t
                endingAt[edge.b] = t
                made.append(t)
            }
            for t in made {
                let a = vertices[3 * t], b = vertices[3 * t + 1]
                neighbours[3 * t] = startingAt[b] ?? -1  // across (b, p)
                neighbours[3 * t + 1] = endingAt[a] ?? -1  // across (p, a)
            }
            last = made.last ?? last
            return true
        }

        mutating func newTriangle(_ a: Int, _ b: Int, _ c: Int) -> Int {
            if let t = free.popLast() {
                vertices[3 * t] = a; vertices[3 * t + 1] = b; vertices[3 * t + 2] = c
                neighbours[3 * t] = -1; neighbours[3 * t + 1] = -1; neighbours[3 * t + 2] = -1
                alive[t] = true
                return t
            }
            vertices += [a, b, c]
            neighbours += [-1, -1, -1]
            alive.append(true)
            marks.append(0)
            return alive.count - 1
        }

        /// The live triangles without a vertex of the enclosing triangle.
        func realTriangles(pointCount: Int) -> [(Int, Int, Int)] {
            var out: [(Int, Int, Int)] = []
            for t in alive.indices where alive[t] {
                let a = vertices[3 * t], b = vertices[3 * t + 1], c = vertices[3 * t + 2]
                if a < pointCount && b < pointCount && c < pointCount { out.append((a, b, c)) }
            }
            return out
        }
    }
}

/// A function known at scattered points, interpolated linearly on their Delaunay triangulation
/// and sampled at the centres of a regular grid of cells — scipy's `griddata(method="linear")`,
/// which Optuna's contour plot uses.
///
/// Inside a triangle with vertices `pᵢ` and values `zᵢ`, the value at `q` is `Σ λᵢ zᵢ` with `λ`
/// the barycentric coordinates of `q`; the interpolant is continuous, exact for affine
/// functions, and never leaves the range of the data. Outside the triangulation (the convex
/// hull of the points) the value is nil: nothing is extrapolated. Points at the same place
/// are merged into one with their mean value.
/// - Complexity: O(n log n) to triangulate, then O(triangles + cells) to rasterise: each
///   triangle visits the cells of its bounding box.
public struct TriangulatedGrid: Sendable {
    public let columns: Int, rows: Int
    public let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    /// Row-major values, row 0 at the bottom (`yRange.lowerBound`); nil outside the data's hull.
    public let values: [Double?]

    /// Interpolates `z` known at (`x`, `y`) at the cell centres of a `columns` × `rows` grid
    /// over `xRange` × `yRange`. The triangulation is made with both ranges scaled to the unit
    /// square, so it does not depend on the axes' units.
    public init(x: [Double], y: [Double], z: [Double], columns: Int, rows: Int,
                xRange: ClosedRange<Double>, yRange: ClosedRange<Double>) {
        precondition(x.count == y.count && y.count == z.count, "TriangulatedGrid: x, y and z differ in length")
        precondition(columns > 0 && rows > 0, "TriangulatedGrid: needs at least one cell")
        self.columns = columns
        self.rows = rows
        self.xRange = xRange
        self.yRange = yRange
        // Merge points at the same place (exactly), averaging their values.
        var merged: [Pair: (sum: Double, count: Int)] = [:]
        for i in x.indices where x[i].isFinite && y[i].isFinite && z[i].isFinite {
            merged[Pair(x: x[i], y: y[i]), default: (0, 0)].sum += z[i]
            merged[Pair(x: x[i], y: y[i]), default: (0, 0)].count += 1
        }
        let unique = merged.sorted { $0.key.x < $1.key.x || ($0.key.x == $1.key.x && $0.key.y < $1.key.y) }
        let points = unique.map { (x: $0.key.x, y: $0.key.y) }
        let values = unique.map { $0.value.sum / Double($0.value.count) }
        // Triangulated with each axis scaled to the grid's range (barycentric coordinates, and
        // so the interpolation inside a triangle, do not change under that affine map).
        let xSpan = xRange.upperBound - xRange.lowerBound, ySpan = yRange.upperBound - yRange.lowerBound
        let triangulation = DelaunayTriangulation(points: points.map {
            (x: xSpan > 0 ? ($0.x - xRange.lowerBound) / xSpan : $0.x, y: ySpan > 0 ? ($0.y - yRange.lowerBound) / ySpan : $0.y)
        })
        var grid = [Double?](repeating: nil, count: columns * rows)
        let cellWidth = (xRange.upperBound - xRange.lowerBound) / Double(columns)
        let cellHeight = (yRange.upperBound - yRange.lowerBound) / Double(rows)
        guard cellWidth > 0, cellHeight > 0 else {
            self.values = grid
            return
        }
        for (a, b, c) in triangulation.triangles {
            let (x1, y1, x2, y2, x3, y3) = (points[a].x, points[a].y, points[b].x, points[b].y, points[c].x, points[c].y)
            let det = (y2 - y3) * (x1 - x3) + (x3 - x2) * (y1 - y3)
            guard abs(det) > 1e-300 else { continue }
            // Cells whose centre may lie in the triangle's bounding box.
            func firstCell(_ v: Double, _ low: Double, _ size: Double) -> Int { Int(((v - low) / size - 0.5).rounded(.up)) }
            func lastCell(_ v: Double, _ low: Double, _ size: Double) -> Int { Int(((v - low) / size - 0.5).rounded(.down)) }
            let c0 = max(0, firstCell(min(x1, x2, x3), xRange.lowerBound, cellWidth))
            let c1 = min(columns - 1, lastCell(max(x1, x2, x3), xRange.lowerBound, cellWidth))
            let r0 = max(0, firstCell(min(y1, y2, y3), yRange.lowerBound, cellHeight))
            let r1 = min(rows - 1, lastCell(max(y1, y2, y3), yRange.lowerBound, cellHeight))
            guard c0 <= c1, r0 <= r1 else { continue }
            let tolerance = -1e-9
            for row in r0...r1 {
                let py = yRange.lowerBound + (Double(row) + 0.5) * cellHeight
                for column in c0...c1 where grid[row * columns + column] == nil {
                    let px = xRange.lowerBound + (Double(column) + 0.5) * cellWidth
                    let l1 = ((y2 - y3) * (px - x3) + (x3 - x2) * (py - y3)) / det
                    let l2 = ((y3 - y1) * (px - x3) + (x1 - x3) * (py - y3)) / det
                    let l3 = 1 - l1 - l2
                    if l1 >= tolerance && l2 >= tolerance && l3 >= tolerance {
                        grid[row * columns + column] = l1 * values[a] + l2 * values[b] + l3 * values[c]
                    }
                }
            }
        }
        self.values = grid
    }

    struct Pair: Hashable {
        let x: Double, y: Double
    }

    /// The value of cell (`column`, `row`), nil outside the hull.
    public func value(column: Int, row: Int) -> Double? { values[row * columns + column] }

    /// The x of the centre of cells in `column`.
    public func x(column: Int) -> Double {
        xRange.lowerBound + (Double(column) + 0.5) * (xRange.upperBound - xRange.lowerBound) / Double(columns)
    }

    /// The y of the centre of cells in `row`.
    public func y(row: Int) -> Double {
        yRange.lowerBound + (Double(row) + 0.5) * (yRange.upperBound - yRange.lowerBound) / Double(rows)
    }
}

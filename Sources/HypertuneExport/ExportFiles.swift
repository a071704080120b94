import Foundation

/// File-system steps shared by the exports: safe names, directories, writes that name the path
/// when they fail.
enum ExportFiles {
    /// `name` as one safe path component on Linux, macOS and Windows alike.
    ///
    /// Path separators, `: * ? " < > |` and control characters become `_`; a leading dot (hidden
    /// files, `.` and `..`), a trailing dot or space, or a reserved Windows device name (`CON`,
    /// `NUL`, `COM1`, …) gets a `_`; the empty name becomes `_`; the result is cut to 200 UTF-8
    /// bytes on a character boundary. Other characters — letters of any script, spaces, `=` —
    /// stay. Distinct names can meet (`a/b` and `a_b` both give `a_b`).
    static func safeName(_ name: String) -> String {
        let unsafe: Set<Character> = ["/", "\\", ":", "*", "?", "\"", "<", ">", "|"]
        var s = String(name.map { c -> Character in
            if unsafe.contains(c) || c.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
                return "_"
            }
            return c
        })
        while s.utf8.count > 198 { s.removeLast() }
        if s.isEmpty { return "_" }
        if s.hasPrefix(".") { s = "_" + s }
        if s.hasSuffix(".") || s.hasSuffix(" ") { s += "_" }
        let reserved = Set(["CON", "PRN", "AUX", "NUL"] + (1...9).flatMap { ["COM\($0)", "LPT\($0)"] })
        let stem = s.split(separator: ".", maxSplits: 1).first.map { String($0).uppercased() } ?? ""
        if reserved.contains(stem.trimmingCharacters(in: .whitespaces)) { s = "_" + s }
        return s
    }

    /// This machine's name, as `gethostname` gives it (no name-service look-up, unlike
    /// `ProcessInfo.hostName`), or `localhost`.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// Creates `directory` and its missing parents, unless it exists as a directory; an error
    /// names `directory` and, when a file stands in the way, that file.
    static func makeDirectory(_ directory: URL) throws(ExportError) {
        let fm = FileManager.default
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        var isDirectory: ObjCBool = false
        while !fm.fileExists(atPath: current.path, isDirectory: &isDirectory) {
            missing.append(current)
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        if !missing.contains(current), !isDirectory.boolValue {
            throw .unusableDirectory(directory, current == directory.standardizedFileURL ? "it is a file" : "'\(current.path)' is a file")
        }
        for url in missing.reversed() where mkdir(url.path, 0o777) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw .unusableDirectory(directory, url == directory.standardizedFileURL ? reason : "cannot create '\(url.path)': \(reason)")
        }
    }

    /// Writes `data` to `url` atomically: into a temporary file in the same directory (a name
    /// no TensorBoard or glob for the export matches), then renamed over `url`, so a reader never
    /// sees half a file. Errors carry the system's reason (`Is a directory`, `Permission denied`).
    static func write(_ data: [UInt8], to url: URL) throws(ExportError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".hypertune-\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(url, reason: errnoDescription()) }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoDescription()
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0, failure == nil { failure = errnoDescription() }
        if failure == nil, rename(temporary.path, url.path) != 0 { failure = errnoDescription() }
        if let failure {
            unlink(temporary.path)
            throw .cannotWrite(url, reason: failure)
        }
    }

    /// Removes the file at `url`.
    static func remove(_ url: URL) throws(ExportError) {
        guard unlink(url.path) == 0 || errno == ENOENT else { throw .cannotWrite(url, reason: errnoDescription()) }
    }

    static func errnoDescription() -> String { String(cString: strerror(errno)) }
}

/// write(2), out of reach of `ExportFiles.write`'s name.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

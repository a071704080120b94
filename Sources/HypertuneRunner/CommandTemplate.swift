import Hypertune

/// An objective program's command line as an argv template: the program and its arguments, each
/// of which may hold `{name}` placeholders for the trial's parameters.
///
/// The command never passes through a shell: each element becomes exactly one argument, whatever
/// a parameter's value holds (spaces, quotes, `;`, `$(…)`), so no value can be interpreted as
/// shell syntax. An element whose placeholder names a parameter the trial does not have (an
/// inactive conditional branch) is dropped, so write a flag and its value as one element
/// (`--gamma={gamma}`). `{{` and `}}` stand for literal braces.
///
/// Values are written as on a command line: `0.001`, `32`, `adam`, `true`
/// (``ParameterValue/description``).
public struct CommandTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One piece of an element: literal text or a placeholder.
    enum Piece: Sendable, Hashable {
        case text(String)
        case parameter(String)
    }

    /// The elements as written.
    public let elements: [String]
    let parsed: [[Piece]]

    /// Parses `elements` (the program first).
    /// - Throws: ``CommandTemplateError`` for an empty command, an empty or unclosed placeholder,
    ///   or a stray `}`; the message names the element.
    public init(_ elements: [String]) throws(CommandTemplateError) {
        guard let program = elements.first, !program.isEmpty else { throw .init("the command is empty: give the program and its arguments") }
        self.elements = elements
        var parsed: [[Piece]] = []
        for (i, element) in elements.enumerated() {
            parsed.append(try Self.parse(element, index: i))
        }
        self.parsed = parsed
    }

    static func parse(_ element: String, index: Int) throws(CommandTemplateError) -> [Piece] {
        var pieces: [Piece] = [], text = ""
        var i = element.startIndex
        while i < element.endIndex {
            let c = element[i]
            let next = element.index(after: i)
            if c == "{" {
                if next < element.endIndex, element[next] == "{" {
                    text.append("{")
                    i = element.index(after: next)
                    continue
                }
                guard let close = element[next...].firstIndex(of: "}") else {
                    throw .init("argument \(index) '\(element)': unclosed '{' (write '{{' for a literal brace)")
                }
                let name = String(element[next..<close])
                guard !name.isEmpty else { throw .init("argument \(index) '\(element)': empty placeholder '{}'") }
                guard !name.contains("{") else { throw .init("argument \(index) '\(element)': '{' inside a placeholder") }
                if !text.isEmpty { pieces.append(.text(text)) }
                text = ""
                pieces.append(.parameter(name))
                i = element.index(after: close)
            } else if c == "}" {
                guard next < element.endIndex, element[next] == "}" else {
                    throw .init("argument \(index) '\(element)': stray '}' (write '}}' for a literal brace)")
                }
                text.append("}")
                i = element.index(after: next)
            } else {
                text.append(c)
                i = next
            }
        }
        if !text.isEmpty || pieces.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    /// The parameter names the template refers to.
    public var placeholders: Set<String> {
        Set(parsed.flatMap { $0.compactMap { if case let .parameter(name) = $0 { name } else { nil } } })
    }

    /// Whether the program itself (the first element) is a fixed string.
    public var program: String? {
        parsed[0].allSatisfy { if case .text = $0 { true } else { false } } ? elements[0] : nil
    }

    /// Checks that every placeholder names one of `parameters`.
    /// - Throws: ``CommandTemplateError`` naming the unknown placeholder and the known names.
    public func validate(parameters: Set<String>) throws(CommandTemplateError) {
        for name in placeholders.sorted() where !parameters.contains(name) {
            let known = parameters.sorted().joined(separator: ", ")
            throw .init("the command's placeholder '{\(name)}' names no parameter of the search space (parameters: \(known.isEmpty ? "none" : known))")
        }
    }

    /// The argv for a trial's `parameters`: placeholders replaced by the values, elements naming
    /// an absent parameter dropped.
    /// - Throws: ``CommandTemplateError`` when the program itself names an absent parameter.
    public func arguments(for parameters: [String: ParameterValue]) throws(CommandTemplateError) -> [String] {
        var argv: [String] = []
        for (i, pieces) in parsed.enumerated() {
            var element = "", complete = true
            for piece in pieces {
                switch piece {
                case let .text(t): element += t
                case let .parameter(name):
                    guard let value = parameters[name] else {
                        complete = false
                        break
                    }
                    element += value.description
                }
            }
            if complete {
                argv.append(element)
            } else if i == 0 {
                throw .init("the program '\(elements[0])' names a parameter this trial does not have")
            }
        }
        return argv
    }

    public var description: String { elements.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ") }
}

/// An invalid command template, with the reason.
public struct CommandTemplateError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

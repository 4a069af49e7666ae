import Foundation
import Testing

@testable import HeraldClient

/// The client reads every string of a response itself; it must read them as Foundation's decoder does, and
/// refuse what JSON forbids.
@Suite struct RawJSONStringTests {
    static let strings: [String] = [
        #""""#, #""order-42""#, #""caf\u00e9 ☕️ 𝄞""#, #""tab\tnew\nline\r\"quoted\" \\ \/ \b\f""#,
        #""\ud834\udd1e and \u20AC and \u0000""#, #""emoji 👩‍👩‍👧 in UTF-8""#, #""\"""#, #""\\""#,
    ]

    @Test(arguments: strings)
    func readsStringsAsFoundationDoes(_ literal: String) throws {
        let expected = try JSONDecoder().decode(String.self, from: Data(literal.utf8))
        let parsed = try RawJSON.parse(Data(#"{"s":\#(literal),"list":[\#(literal)]}"#.utf8))
        guard case .object(let members) = parsed.kind, case .string(let text) = members["s"]?.kind,
            case .array(let list) = members["list"]?.kind, case .string(let inList) = list.first?.kind
        else {
            Issue.record("\(literal) was not read as a string")
            return
        }
        #expect(text == expected)
        #expect(inList == expected)
    }

    static let malformed: [[UInt8]] = [
        Array(#""unclosed"#.utf8), Array(#""bad \x escape""#.utf8), Array(#""\u12""#.utf8),
        Array(#""\ud834 alone""#.utf8), Array(#""\udd1e low first""#.utf8), [0x22, 0x61, 0x0A, 0x62, 0x22],
        [0x22, 0xFF, 0xFE, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22],
    ]

    @Test(arguments: malformed)
    func refusesMalformedStrings(_ bytes: [UInt8]) {
        #expect(throws: RawJSONError.self) { try RawJSON.parse(Data(bytes)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(String.self, from: Data(bytes)) }
    }
}

import Foundation
import Herald
import Testing

@Suite struct EventValidationTests {
    static let valid = Event(id: "1", source: "/shop", type: "orders.placed")

    func validationError(_ change: (inout Event) -> Void) -> EventValidationError? {
        var event = Self.valid
        change(&event)
        do {
            try event.validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsAValidEvent() throws {
        var event = Self.valid
        event.subject = "order-42"
        event.dataSchema = "urn:example:order"
        event.extensions = ["a": "x", "z9": 1, "abcdefghijklmnopqrst": true, "link": .uri("mailto:x@example.com")]
        try event.validate()
    }

    @Test func namesAMissingRequiredAttribute() {
        #expect(
            validationError { $0.id = "" }
                == .init(attribute: "id", reason: "is required and must be a non-empty string"))
        #expect(validationError { $0.source = "" }?.attribute == "source")
        #expect(validationError { $0.type = "" }?.attribute == "type")
    }

    @Test func rejectsEmptyOptionalAttributes() {
        #expect(validationError { $0.subject = "" }?.description.hasPrefix("'subject' must not be empty") == true)
        #expect(validationError { $0.dataContentType = "" }?.attribute == "datacontenttype")
    }

    @Test(arguments: ["a b", "/tab\there", "new\nline", "del\u{7F}"])
    func rejectsSourcesThatAreNotURIReferences(source: String) {
        let error = validationError { $0.source = source }
        #expect(error?.attribute == "source")
        #expect(error?.description.contains("must be a URI-reference") == true)
    }

    @Test(arguments: ["schema.json", "/schemas/order", ":missing", "1http://x", "ht tp://x", ""])
    func rejectsDataSchemasWithoutAScheme(schema: String) {
        let error = validationError { $0.dataSchema = schema }
        #expect(error?.attribute == "dataschema")
        #expect(error?.description.contains("must be an absolute URI with a scheme") == true)
    }

    @Test(arguments: [
        ("Type", "extension names are 1-20 lowercase letters or digits"),
        ("UPPER", "extension names are 1-20 lowercase letters or digits; rename it, for example to 'upper'"),
        (
            "abcdefghijklmnopqrstu",
            "extension names are 1-20 lowercase letters or digits; rename it, for example "
                + "to 'abcdefghijklmnopqrst'"
        ),
        ("", "extension names are 1-20 lowercase letters or digits"),
        ("é", "extension names are 1-20 lowercase letters or digits"),
        ("data", "is a context attribute of the CloudEvents format and cannot name an extension"),
        ("id", "is a context attribute of the CloudEvents format and cannot name an extension"),
        ("data_base64", "extension names are 1-20 lowercase letters or digits"),
    ])
    func rejectsInvalidExtensionNames(name: String, rule: String) {
        let error = validationError { $0.extensions[name] = "v" }
        #expect(error?.attribute == name)
        #expect(error?.description.hasPrefix("'\(name)' ") == true)
        #expect(error?.description.contains(rule) == true)
    }

    @Test func checksURIExtensionValues() {
        #expect(validationError { $0.extensions["link"] = .uri("/relative") }?.attribute == "link")
        #expect(validationError { $0.extensions["ref"] = .uriReference("has space") }?.attribute == "ref")
        #expect(validationError { $0.extensions["ref"] = .uriReference("../relative?q=1#f") } == nil)
    }
}

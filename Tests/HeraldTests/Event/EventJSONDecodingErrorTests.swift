import Foundation
import Herald
import Testing

@Suite struct EventJSONDecodingErrorTests {
    /// A valid event with `members` added (or, with a `null` value, removed).
    static func json(_ members: [String: String]) -> Data {
        var all = [
            "specversion": #""1.0""#, "id": #""1""#, "source": #""/shop""#, "type": #""orders.placed""#,
        ]
        all.merge(members) { _, new in new }
        let body = all.filter { $0.value != "null" }.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
        return Data("{\(body.joined(separator: ","))}".utf8)
    }

    func decodingError(_ json: Data) -> EventDecodingError? {
        do {
            _ = try Event.decode(json: json)
            return nil
        } catch {
            return error
        }
    }

    @Test func theBaseEventIsValid() throws {
        #expect(try Event.decode(json: Self.json([:])) == Event(id: "1", source: "/shop", type: "orders.placed"))
    }

    @Test(arguments: [
        ("Type", "extension names are 1-20 lowercase letters or digits"),
        ("orderId", "lowercase letters or digits; rename it, for example to 'orderid'"),
        ("order_id", "lowercase letters or digits; rename it, for example to 'orderid'"),
        ("abcdefghijklmnopqrstu", "1-20 lowercase letters or digits"),
        ("", "1-20 lowercase letters or digits"),
    ])
    func rejectsInvalidExtensionNames(name: String, rule: String) throws {
        let error = try #require(decodingError(Self.json([name: #""v""#])))
        #expect(error.attribute == name)
        #expect(error.description.contains("'\(name)'"))
        #expect(error.description.contains(rule))
    }

    @Test(arguments: ["id", "source", "type"])
    func rejectsAMissingRequiredAttribute(attribute: String) throws {
        for value in ["null", #""""#] {
            let error = try #require(decodingError(Self.json([attribute: value])))
            #expect(error.attribute == attribute)
            #expect(error.description == "'\(attribute)' is required and must be a non-empty string")
        }
    }

    @Test func rejectsAMissingSpecVersion() throws {
        let error = try #require(decodingError(Self.json(["specversion": "null"])))
        #expect(error.description == #"'specversion' is required; set it to "1.0""#)
    }

    @Test(arguments: ["0.3", "1", "1.0.2"])
    func rejectsOtherSpecVersions(version: String) throws {
        let error = try #require(decodingError(Self.json(["specversion": "\"\(version)\""])))
        #expect(error.description.hasPrefix(#"'specversion' must be "1.0", got "\#(version)""#))
    }

    @Test(arguments: [
        ("id", "5", "must be a JSON string, got 5"),
        ("source", "true", "must be a JSON string, got true"),
        ("type", "[]", "must be a JSON string, got an array"),
        ("subject", "{}", "must be a JSON string, got an object"),
        ("time", "1522949460", "must be a JSON string, got 1522949460"),
        ("datacontenttype", "1.5", "must be a JSON string, got 1.5"),
        ("specversion", "1.0", "must be a JSON string, got 1"),
        ("data_base64", "[1]", "must be a JSON string holding base64, got an array"),
    ])
    func rejectsWrongJSONTypes(attribute: String, value: String, message: String) throws {
        let error = try #require(decodingError(Self.json([attribute: value])))
        #expect(error.attribute == attribute)
        #expect(error.description == "'\(attribute)' \(message)")
    }

    @Test(arguments: ["2018-04-05", "2018-04-05T17:31:00", "yesterday", "2018-02-30T00:00:00Z"])
    func rejectsTimesThatAreNotRFC3339(time: String) throws {
        let error = try #require(decodingError(Self.json(["time": "\"\(time)\""])))
        #expect(error.attribute == "time")
        #expect(error.description.contains("must be an RFC 3339 timestamp such as"))
        #expect(error.description.contains(time))
    }

    @Test func rejectsDataTogetherWithBase64() throws {
        let error = try #require(decodingError(Self.json(["data": "null", "data_base64": #""AA==""#]).withNullData()))
        #expect(error.attribute == "data_base64")
        #expect(error.description.contains("cannot be present together with 'data'"))
    }

    @Test(arguments: ["not base64!", "AAA", "AA==AA=="])
    func rejectsInvalidBase64(text: String) throws {
        let error = try #require(decodingError(Self.json(["data_base64": "\"\(text)\""])))
        #expect(error.attribute == "data_base64")
        #expect(error.description.contains("must be base64"))
    }

    @Test func rejectsNonStringDataForANonJSONContentType() throws {
        let error = try #require(
            decodingError(Self.json(["datacontenttype": #""application/xml""#, "data": #"{"a":1}"#]))
        )
        #expect(error.attribute == "data")
        #expect(error.description.contains(#"must be a JSON string when 'datacontenttype' is "application/xml""#))
    }

    @Test(arguments: [
        ("{}", "an object"), ("[1]", "an array"), ("1.5", "1.5"), ("3000000000", "3000000000"),
    ])
    func rejectsExtensionValuesTheSpecForbids(value: String, found: String) throws {
        let error = try #require(decodingError(Self.json(["ext": value])))
        #expect(error.attribute == "ext")
        #expect(error.description.hasPrefix("'ext' must "))
        #expect(error.description.contains(found))
    }

    @Test func rejectsInvalidURIs() throws {
        let source = try #require(decodingError(Self.json(["source": #""/my shop""#])))
        #expect(source.description.contains("'source' must be a URI-reference"))
        let schema = try #require(decodingError(Self.json(["dataschema": #""schema.json""#])))
        #expect(schema.description.contains("'dataschema' must be an absolute URI"))
    }

    @Test(arguments: [
        ("", "line 1, column 1: unexpected end of input"),
        ("{", "line 1, column 2: expected a member name"),
        (#"{"id":"1",}"#, "line 1, column 11: expected a member name in double quotes (a trailing comma"),
        ("{\n  \"id\" \"1\"}", "line 2, column 8: expected ':' after the member name"),
        (#"{"id":"1"} x"#, "line 1, column 12: unexpected character 'x' after the end of the JSON value"),
        (#"{"id":"1","id":"2"}"#, #"line 1, column 11: duplicate member "id""#),
        (#"{"id":tru}"#, "line 1, column 7: invalid literal; expected true"),
        (#"{"id":"a"#, "unterminated string"),
        (#"{"id":01}"#, "expected ',' or '}'"),
        ("{\"id\":\"a\tb\"}", "unescaped control character"),
        (#"{"id":"\ud800"}"#, "unpaired UTF-16 surrogate"),
        (#"{"id":"\q"}"#, #"invalid escape \q"#),
        (#"{"n":1e999}"#, "number 1e999 is out of range"),
        ("\u{FEFF}{}", "line 1, column 1: unexpected byte 0xEF"),
    ])
    func reportsMalformedJSONWithAPosition(json: String, message: String) throws {
        let error = try #require(decodingError(Data(json.utf8)))
        #expect(error.attribute == nil)
        #expect(error.description.hasPrefix("the input is not valid JSON (RFC 8259): "))
        #expect(error.description.contains(message))
    }

    @Test func rejectsInvalidUTF8() throws {
        let error = try #require(decodingError(Data([0x22, 0xFF, 0x22])))
        #expect(error.description.contains("invalid UTF-8"))
    }

    @Test func rejectsDeepNestingWithoutCrashing() throws {
        let deep = String(repeating: "[", count: 100_000)
        let error = try #require(decodingError(Data(deep.utf8)))
        #expect(error.description.contains("nesting is deeper than 512 levels"))
    }

    @Test func singleDecodeRejectsAnArray() throws {
        let error = try #require(decodingError(Data(SpecExamples.batch.utf8)))
        #expect(
            error.description.contains("found an array (a batch of 2); decode batches with Event.decodeBatch(json:)"))
    }

    @Test(arguments: [(#""event""#, #"the string "event""#), ("42", "42"), ("null", "null")])
    func singleDecodeRejectsOtherTopLevelValues(json: String, found: String) throws {
        let error = try #require(decodingError(Data(json.utf8)))
        #expect(error.description == "expected a JSON object holding one event, found \(found)")
    }

    @Test func batchDecodeNamesTheBadEvent() throws {
        let batch =
            "[\(String(decoding: Self.json([:]), as: UTF8.self)),\(String(decoding: Self.json(["id": "5"]), as: UTF8.self))]"
        #expect(throws: EventDecodingError(index: 1, attribute: "id", reason: "must be a JSON string, got 5")) {
            try Event.decodeBatch(json: Data(batch.utf8))
        }
        do {
            _ = try Event.decodeBatch(json: Data(batch.utf8))
        } catch {
            #expect(error.description == "event 1 of the batch: 'id' must be a JSON string, got 5")
        }
    }

    @Test func batchDecodeNamesANonObjectElement() throws {
        #expect(
            throws: EventDecodingError(index: 0, reason: "expected a JSON object holding an event, found 7")
        ) {
            try Event.decodeBatch(json: Data("[7]".utf8))
        }
    }

    @Test func batchDecodeRejectsASingleEvent() throws {
        do {
            _ = try Event.decodeBatch(json: Self.json([:]))
            Issue.record("decoded a single event as a batch")
        } catch {
            #expect(error.description.contains("expected a JSON array of events, found a single event object"))
        }
    }
}

extension Data {
    /// Puts back the `"data":null` member the helper drops, since here `null` is a payload.
    fileprivate func withNullData() -> Data {
        let text = String(decoding: self, as: UTF8.self)
        return Data(text.replacingOccurrences(of: "{", with: #"{"data":null,"#).utf8)
    }
}

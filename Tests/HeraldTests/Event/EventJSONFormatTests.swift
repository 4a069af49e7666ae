import Foundation
import Herald
import Testing

/// The examples of the CloudEvents 1.0.2 JSON event format, section 3.2 and 4.3, copied verbatim except
/// that `"... base64 encoded string ..."` placeholders are replaced with real base64 ("Thrift!!").
enum SpecExamples {
    static let binaryData = """
        {
            "specversion" : "1.0",
            "type" : "com.example.someevent",
            "source" : "/mycontext",
            "id" : "A234-1234-1234",
            "time" : "2018-04-05T17:31:00Z",
            "comexampleextension1" : "value",
            "comexampleothervalue" : 5,
            "datacontenttype" : "application/vnd.apache.thrift.binary",
            "data_base64" : "VGhyaWZ0ISE="
        }
        """

    static let xmlData = """
        {
            "specversion" : "1.0",
            "type" : "com.example.someevent",
            "source" : "/mycontext",
            "id" : "B234-1234-1234",
            "time" : "2018-04-05T17:31:00Z",
            "comexampleextension1" : "value",
            "comexampleothervalue" : 5,
            "unsetextension": null,
            "datacontenttype" : "application/xml",
            "data" : "<much wow=\\"xml\\"/>"
        }
        """

    static let jsonObjectData = """
        {
            "specversion" : "1.0",
            "type" : "com.example.someevent",
            "source" : "/mycontext",
            "subject": null,
            "id" : "C234-1234-1234",
            "time" : "2018-04-05T17:31:00Z",
            "comexampleextension1" : "value",
            "comexampleothervalue" : 5,
            "datacontenttype" : "application/json",
            "data" : {
                "appinfoA" : "abc",
                "appinfoB" : 123,
                "appinfoC" : true
            }
        }
        """

    static let jsonStringData = """
        {
            "specversion" : "1.0",
            "type" : "com.example.someevent",
            "source" : "/mycontext",
            "subject": null,
            "id" : "D234-1234-1234",
            "time" : "2018-04-05T17:31:00Z",
            "comexampleextension1" : "value",
            "comexampleothervalue" : 5,
            "data" : "I'm just a string"
        }
        """

    static let batch = """
        [
          {
              "specversion" : "1.0",
              "type" : "com.example.someevent",
              "source" : "/mycontext/4",
              "id" : "B234-1234-1234",
              "time" : "2018-04-05T17:31:00Z",
              "comexampleextension1" : "value",
              "comexampleothervalue" : 5,
              "datacontenttype" : "application/vnd.apache.thrift.binary",
              "data_base64" : "VGhyaWZ0ISE="
          },
          {
              "specversion" : "1.0",
              "type" : "com.example.someotherevent",
              "source" : "/mycontext/9",
              "id" : "C234-1234-1234",
              "time" : "2018-04-05T17:31:05Z",
              "comexampleextension1" : "value",
              "comexampleothervalue" : 5,
              "datacontenttype" : "application/json",
              "data" : {
                  "appinfoA" : "abc",
                  "appinfoB" : 123,
                  "appinfoC" : true
              }
          }
        ]
        """
}

/// Parses JSON for comparison by meaning rather than by text.
func jsonValue(_ data: Data) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: data)
}

/// The members of an event object as they mean: `null` attributes are unset, as the spec says, but
/// `data` keeps `null` since there it is a payload.
func meaning(_ data: Data) throws -> [String: JSONValue] {
    guard case .object(let members) = try jsonValue(data) else {
        Issue.record("not a JSON object")
        return [:]
    }
    return members.filter { $0.key == "data" || $0.value != .null }
}

@Suite struct EventJSONFormatTests {
    static let specTime = Date(timeIntervalSince1970: 1_522_949_460)

    @Test(arguments: [
        SpecExamples.binaryData, SpecExamples.xmlData, SpecExamples.jsonObjectData, SpecExamples.jsonStringData,
    ])
    func specExamplesRoundTrip(json: String) throws {
        let event = try Event.decode(json: Data(json.utf8))
        #expect(event.source == "/mycontext")
        #expect(event.type == "com.example.someevent")
        #expect(event.time == Self.specTime)
        #expect(event.subject == nil)
        #expect(event.extensions == ["comexampleextension1": "value", "comexampleothervalue": 5])

        let again = try Event.decode(json: event.jsonData())
        #expect(again == event)
    }

    @Test func binaryExampleKeepsBase64() throws {
        let original = Data(SpecExamples.binaryData.utf8)
        let event = try Event.decode(json: original)
        #expect(event.id == "A234-1234-1234")
        #expect(event.dataContentType == "application/vnd.apache.thrift.binary")
        #expect(event.data == Data("Thrift!!".utf8))
        #expect(try meaning(event.jsonData()) == meaning(original))
    }

    @Test func xmlExampleReadsTheStringAndWritesItBackAsAString() throws {
        let original = Data(SpecExamples.xmlData.utf8)
        let event = try Event.decode(json: original)
        #expect(event.id == "B234-1234-1234")
        #expect(event.data == Data(#"<much wow="xml"/>"#.utf8))
        #expect(event.extensions["unsetextension"] == nil)
        #expect(try meaning(event.jsonData()) == meaning(original))
    }

    @Test func jsonObjectExampleKeepsDataAsAJSONValue() throws {
        let original = Data(SpecExamples.jsonObjectData.utf8)
        let event = try Event.decode(json: original)
        #expect(event.id == "C234-1234-1234")
        #expect(event.dataContentType == "application/json")
        #expect(
            try event.data.map(jsonValue)
                == .object(["appinfoA": "abc", "appinfoB": .integer(123), "appinfoC": .bool(true)])
        )
        #expect(try meaning(event.jsonData()) == meaning(original))
    }

    @Test func jsonStringExampleIsJSONWithoutAContentType() throws {
        let original = Data(SpecExamples.jsonStringData.utf8)
        let event = try Event.decode(json: original)
        #expect(event.id == "D234-1234-1234")
        #expect(event.dataContentType == nil)
        #expect(event.data == Data(#""I'm just a string""#.utf8))
        #expect(try meaning(event.jsonData()) == meaning(original))
    }

    @Test func batchExampleRoundTrips() throws {
        let original = Data(SpecExamples.batch.utf8)
        let events = try Event.decodeBatch(json: original)
        #expect(events.map(\.id) == ["B234-1234-1234", "C234-1234-1234"])
        #expect(events.map(\.source) == ["/mycontext/4", "/mycontext/9"])
        #expect(events[1].time == Self.specTime.addingTimeInterval(5))
        #expect(try Event.decodeBatch(json: Event.jsonBatchData(events)) == events)
        #expect(try jsonValue(Event.jsonBatchData(events)) == jsonValue(original))
    }

    @Test func emptyBatch() throws {
        #expect(try Event.decodeBatch(json: Data("[]".utf8)) == [])
        #expect(Event.jsonBatchData([]) == Data("[]".utf8))
    }

    @Test func encodesEveryAttributeAndExtensionType() throws {
        let event = Event(
            id: "e-1",
            source: "https://shop.example/orders",
            type: "orders.placed",
            subject: "order-42",
            time: Date(timeIntervalSince1970: 1_522_949_460.25),
            dataContentType: "application/json",
            dataSchema: "https://shop.example/schemas/order.json",
            extensions: [
                "flag": true, "count": -7, "text": "quote \" and \n newline", "bytes": .binary(Data([0, 255])),
                "link": .uri("https://a.example/x"), "ref": .uriReference("/x"),
                "at": .timestamp(Date(timeIntervalSince1970: 0)),
            ],
            data: Data(#"{"total": 9.5, "items": [1, 2]}"#.utf8)
        )
        let json = event.jsonData()
        #expect(
            try jsonValue(json)
                == .object([
                    "specversion": "1.0", "id": "e-1", "source": "https://shop.example/orders",
                    "type": "orders.placed", "subject": "order-42", "time": "2018-04-05T17:31:00.25Z",
                    "datacontenttype": "application/json",
                    "dataschema": "https://shop.example/schemas/order.json",
                    "flag": true, "count": .integer(-7), "text": "quote \" and \n newline", "bytes": "AP8=",
                    "link": "https://a.example/x", "ref": "/x", "at": "1970-01-01T00:00:00Z",
                    "data": .object(["total": .number(9.5), "items": .array([.integer(1), .integer(2)])]),
                ])
        )
        // Formats without type information read every extension back as a string, boolean or integer.
        let decoded = try Event.decode(json: json)
        #expect(decoded.extensions["bytes"] == "AP8=")
        #expect(decoded.extensions["count"] == -7)
        #expect(decoded.extensions["flag"] == true)
        #expect(decoded.data == event.data)
    }

    @Test func encodingIsCompactAndOrdered() {
        let event = Event(
            id: "1", source: "/s", type: "t", extensions: ["b": "2", "a": "1"], data: Data(" [1, 2] \n".utf8))
        #expect(
            String(decoding: event.jsonData(), as: UTF8.self)
                == #"{"specversion":"1.0","id":"1","source":"/s","type":"t","a":"1","b":"2","data":[1, 2]}"#
        )
    }

    @Test(arguments: [
        "application/json", "text/json", "application/cloudevents+json", "application/vnd.api+json",
        "Application/JSON", "application/json; charset=utf-8", " application/ld+json ;profile=x",
    ])
    func jsonContentTypesWriteData(contentType: String) throws {
        let event = Event(source: "/s", type: "t", dataContentType: contentType, data: Data(#"{"a":1}"#.utf8))
        let members = try meaning(event.jsonData())
        #expect(members["data"] == .object(["a": .integer(1)]))
        #expect(members["data_base64"] == nil)
        #expect(try Event.decode(json: event.jsonData()) == event)
    }

    @Test(arguments: [
        "text/plain", "Text/Plain; charset=utf-8", "text/csv", "application/xml", "application/atom+xml",
        " image/svg+xml ", "application/yaml", "application/javascript", "application/x-www-form-urlencoded",
    ])
    func textContentTypesWriteDataAsAString(contentType: String) throws {
        let event = Event(source: "/s", type: "t", dataContentType: contentType, data: Data("just text, héllo\n".utf8))
        let members = try meaning(event.jsonData())
        #expect(members["data"] == .string("just text, héllo\n"))
        #expect(members["data_base64"] == nil)
        #expect(try Event.decode(json: event.jsonData()) == event)
    }

    @Test(arguments: [
        "application/octet-stream", "image/png", "text", "text/", "application/xmlish", "application/x-yaml-ish",
        "audio/javascript", "application/ecmascript-like", "",
    ])
    func contentTypesThatOnlyLookLikeTextWriteBase64(contentType: String) throws {
        let event = Event(source: "/s", type: "t", dataContentType: contentType, data: Data("just text".utf8))
        let members = try meaning(event.jsonData())
        #expect(members["data"] == nil)
        #expect(members["data_base64"] == .string(Data("just text".utf8).base64EncodedString()))
    }

    @Test func textContentTypeWithBytesThatAreNotUTF8FallsBackToBase64() throws {
        let bytes = Data([0x68, 0xE9, 0x6C, 0x6C, 0x6F])  // "héllo" in Latin-1
        let event = Event(source: "/s", type: "t", dataContentType: "text/plain; charset=iso-8859-1", data: bytes)
        let members = try meaning(event.jsonData())
        #expect(members["data"] == nil)
        #expect(members["data_base64"] == .string(bytes.base64EncodedString()))
        #expect(try Event.decode(json: event.jsonData()) == event)
    }

    @Test(arguments: [
        "application/octet-stream", "application/jsonx", "application/json-seq", "json", "application/xjson",
        "text", "text/", "application/xmlx", "image/png",
    ])
    func otherContentTypesWriteBase64(contentType: String) throws {
        let event = Event(source: "/s", type: "t", dataContentType: contentType, data: Data(#"{"a":1}"#.utf8))
        let members = try meaning(event.jsonData())
        #expect(members["data"] == nil)
        #expect(members["data_base64"] == .string(Data(#"{"a":1}"#.utf8).base64EncodedString()))
        #expect(try Event.decode(json: event.jsonData()) == event)
    }

    @Test func jsonContentTypeWithInvalidJSONFallsBackToBase64() throws {
        let event = Event(source: "/s", type: "t", data: Data("not json".utf8))
        let members = try meaning(event.jsonData())
        #expect(members["data"] == nil)
        #expect(members["data_base64"] == .string(Data("not json".utf8).base64EncodedString()))
        #expect(try Event.decode(json: event.jsonData()) == event)
    }

    @Test func nullDataIsDistinctFromAbsentData() throws {
        let withNull = try Event.decode(
            json: Data(#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data":null}"#.utf8))
        let without = try Event.decode(json: Data(#"{"specversion":"1.0","id":"1","source":"/s","type":"t"}"#.utf8))
        #expect(withNull.data == Data("null".utf8))
        #expect(without.data == nil)
        #expect(try meaning(withNull.jsonData())["data"] == .null)
        #expect(try meaning(without.jsonData())["data"] == nil)
    }

    @Test func dataKeepsTheExactJSONText() throws {
        let json =
            #"{"specversion":"1.0","id":"1","source":"/s","type":"t","data": {"b" : 12345678901234567890, "a":1.50} }"#
        let event = try Event.decode(json: Data(json.utf8))
        #expect(event.data == Data(#"{"b" : 12345678901234567890, "a":1.50}"#.utf8))
    }

    @Test func nonJSONContentTypeReadsStringDataAsUTF8() throws {
        let json =
            #"{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"héllo\n"}"#
        let event = try Event.decode(json: Data(json.utf8))
        #expect(event.data == Data("héllo\n".utf8))
    }

    @Test func nullAttributesAreUnset() throws {
        let json = #"""
            {"specversion":"1.0","id":"1","source":"/s","type":"t","subject":null,"time":null,
             "datacontenttype":null,"dataschema":null,"data_base64":null,"ext":null}
            """#
        #expect(try Event.decode(json: Data(json.utf8)) == Event(id: "1", source: "/s", type: "t"))
    }

    @Test func decodesEscapesAndUnicode() throws {
        let json = #"{"specversion":"1.0","id":"\u00e9\ud83d\ude00\n\/","source":"/s","type":"t"}"#
        #expect(try Event.decode(json: Data(json.utf8)).id == "é😀\n/")
    }

    @Test func timeIsNormalizedToUTC() throws {
        let json = #"{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2018-04-05T19:31:00.5+02:00"}"#
        let event = try Event.decode(json: Data(json.utf8))
        #expect(try meaning(event.jsonData())["time"] == "2018-04-05T17:31:00.5Z")
    }
}

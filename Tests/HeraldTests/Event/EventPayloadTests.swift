import Foundation
import Herald
import Testing

struct OrderPlaced: EventPayload, Equatable {
    static let eventType = "orders.placed"

    struct Item: Codable, Equatable {
        var sku: String
        var price: Double
    }

    var orderID: String
    var items: [Item]
    var placedAt: Date
    var note: String?
}

struct Refund: Decodable {
    var orderID: String
    var amount: Int
}

@Suite struct EventPayloadTests {
    static let order = OrderPlaced(
        orderID: "42",
        items: [.init(sku: "a", price: 9.5), .init(sku: "b/c", price: 1)],
        placedAt: Date(timeIntervalSince1970: 1_522_949_460.5),
        note: nil
    )

    @Test func payloadRoundTripsThroughTheEventAndItsJSON() throws {
        let event = try Event(Self.order, source: "/shop", id: "e-1", subject: "order-42")
        #expect(event.type == "orders.placed")
        #expect(event.dataContentType == "application/json")
        #expect(event.subject == "order-42")
        #expect(try event.decode(OrderPlaced.self) == Self.order)

        let decoded = try Event.decode(json: event.jsonData())
        #expect(decoded == event)
        let order: OrderPlaced = try decoded.decode()
        #expect(order == Self.order)
    }

    @Test func payloadJSONIsSortedWithRFC3339Dates() throws {
        let event = try Event(Self.order, source: "/shop")
        #expect(
            String(decoding: try #require(event.data), as: UTF8.self)
                == #"{"items":[{"price":9.5,"sku":"a"},{"price":1,"sku":"b/c"}],"orderID":"42","#
                + #""placedAt":"2018-04-05T17:31:00.5Z"}"#
        )
    }

    func payloadError<P: Decodable>(_ type: P.Type, _ json: String?) -> PayloadDecodingError? {
        let event = Event(id: "e-1", source: "/shop", type: "orders.placed", data: json.map { Data($0.utf8) })
        do {
            _ = try event.decode(type)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFieldNamesTheTypeAndPath() throws {
        let json = #"{"orderID":"42","placedAt":"2018-04-05T17:31:00Z","items":[{"sku":"a","price":1},{"sku":"b"}]}"#
        let error = try #require(payloadError(OrderPlaced.self, json))
        #expect(error.payloadType == "HeraldTests.OrderPlaced")
        #expect(error.fieldPath == "items[1].price")
        #expect(
            error.description.hasPrefix(
                "cannot decode HeraldTests.OrderPlaced from event 'e-1' (orders.placed): "
                    + "at items[1].price: the field is missing"))
    }

    @Test func wrongTypeNamesTheTypeAndPath() throws {
        let error = try #require(payloadError(Refund.self, #"{"orderID":"42","amount":"ten"}"#))
        #expect(error.payloadType == "HeraldTests.Refund")
        #expect(error.fieldPath == "amount")
        #expect(error.reason.hasPrefix("expected Int"))
    }

    @Test func nullForARequiredFieldIsNamed() throws {
        let error = try #require(payloadError(Refund.self, #"{"orderID":null,"amount":1}"#))
        #expect(error.fieldPath == "orderID")
        #expect(error.reason.contains("found null"))
    }

    @Test func badDateIsNamed() throws {
        let json = #"{"orderID":"42","placedAt":"tomorrow","items":[]}"#
        let error = try #require(payloadError(OrderPlaced.self, json))
        #expect(error.fieldPath == "placedAt")
        #expect(error.reason.contains("expected an RFC 3339 timestamp"))
    }

    @Test func corruptJSONIsReported() throws {
        let error = try #require(payloadError(Refund.self, "{not json"))
        #expect(error.fieldPath == "")
        #expect(error.reason.hasPrefix("the data is not valid JSON"))
    }

    @Test func eventWithoutDataIsReported() throws {
        let error = try #require(payloadError(Refund.self, nil))
        #expect(error.reason.hasPrefix("the event has no data"))
        #expect(error.description.contains("HeraldTests.Refund"))
    }

    @Test func nonJSONDataIsReported() throws {
        let event = Event(source: "/shop", type: "t", dataContentType: "text/plain", data: Data("hi".utf8))
        #expect(throws: PayloadDecodingError.self) { try event.decode(Refund.self) }
    }

    @Test func unencodablePayloadThrows() {
        struct Reading: EventPayload {
            static let eventType = "sensor.read"
            var value: Double
        }
        #expect(throws: EncodingError.self) { try Event(Reading(value: .nan), source: "/sensor") }
    }
}

import Foundation

/// A Swift type carried as an event's JSON data, which names the event type it is published as.
///
/// ```swift
/// struct OrderPlaced: EventPayload {
///     static let eventType = "orders.placed"
///     var orderID: String
/// }
/// let event = try Event(OrderPlaced(orderID: "42"), source: "/shop")
/// let order = try event.decode(OrderPlaced.self)
/// ```
public protocol EventPayload: Codable, Sendable {
    /// The CloudEvents `type` of events carrying this payload, such as `orders.placed`.
    static var eventType: String { get }
}

extension Event {
    /// Creates an event of type `P.eventType` whose data is `payload` encoded as JSON
    /// (`datacontenttype` `application/json`).
    ///
    /// Object keys are sorted, so equal payloads give equal bytes, and dates are RFC 3339 strings (see
    /// ``RFC3339/format(_:)``), so other languages can read them.
    ///
    /// - Throws: `EncodingError` when the payload cannot be expressed in JSON, such as a `Double.nan`.
    public init<P: EventPayload>(
        _ payload: P,
        source: String,
        id: String = UUID().uuidString,
        subject: String? = nil,
        time: Date? = nil,
        extensions: [String: ExtensionValue] = [:]
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        self.init(
            id: id,
            source: source,
            type: P.eventType,
            subject: subject,
            time: time,
            dataContentType: "application/json",
            extensions: extensions,
            data: try encoder.encode(payload)
        )
    }

    /// Decodes the event's JSON data as `type`, reading dates as RFC 3339 strings.
    ///
    /// Does not check the event's `type`: an event may carry a payload that several types can read.
    ///
    /// - Throws: ``PayloadDecodingError`` naming the Swift type, the field path (such as `items[2].price`)
    ///   and what was wrong, when the event has no data, its content type is not JSON, or the data does not
    ///   match `type`.
    public func decode<P: Decodable>(_ type: P.Type = P.self) throws(PayloadDecodingError) -> P {
        func failure(at fieldPath: String = "", _ reason: String) -> PayloadDecodingError {
            PayloadDecodingError(
                payloadType: String(reflecting: P.self),
                eventType: self.type,
                eventID: id,
                fieldPath: fieldPath,
                reason: reason
            )
        }
        guard let data else {
            throw failure("the event has no data; check the event type before decoding its payload")
        }
        guard Self.isJSONContentType(dataContentType) else {
            throw failure(
                "the data is not JSON (datacontenttype \"\(dataContentType ?? "")\"); read the bytes from "
                    + "'data' directly"
            )
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "expected an RFC 3339 timestamp such as \"2018-04-05T17:31:00Z\", got \"\(text)\""
                )
            }
            return date
        }
        do {
            return try decoder.decode(P.self, from: data)
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let context):
                throw failure(
                    at: PayloadDecodingError.fieldPath(context.codingPath + [key]),
                    "the field is missing; the payload must have it, or the Swift property must be optional"
                )
            case .valueNotFound(let expected, let context):
                throw failure(
                    at: PayloadDecodingError.fieldPath(context.codingPath),
                    "expected \(expected) but found null; make the Swift property optional to accept null"
                )
            case .typeMismatch(let expected, let context):
                throw failure(
                    at: PayloadDecodingError.fieldPath(context.codingPath),
                    "expected \(expected): \(context.debugDescription)"
                )
            case .dataCorrupted(let context) where context.codingPath.isEmpty:
                throw failure("the data is not valid JSON: \(context.debugDescription)")
            case .dataCorrupted(let context):
                throw failure(at: PayloadDecodingError.fieldPath(context.codingPath), context.debugDescription)
            @unknown default:
                throw failure("\(error)")
            }
        } catch {
            throw failure("\(error)")
        }
    }
}

/// An event type as a dictionary key that compares and hashes its UTF-8 bytes, as topic patterns match them.
///
/// `String`'s own equality is canonical equivalence: `"é"` (one scalar) equals `"e\u{301}"` (two), which a
/// pattern tells apart. A cache keyed by `String` would hand one type the subscriptions of the other.
struct EventTypeKey: Hashable, Sendable {
    let type: String

    init(_ type: String) {
        self.type = type
    }

    static func == (lhs: EventTypeKey, rhs: EventTypeKey) -> Bool {
        lhs.type.utf8.count == rhs.type.utf8.count && lhs.type.utf8.elementsEqual(rhs.type.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var type = type
        type.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

import Foundation

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
        // The same representation means the same bytes: a short string holds its bytes in the value itself,
        // a long one refers to storage that no holder may change while another shares it. Publishers mostly
        // repeat a type they hold, so this settles most comparisons without reading the text.
        let identical = withUnsafeBytes(of: lhs.type) { left in
            withUnsafeBytes(of: rhs.type) { right in sameBytes(left, right) }
        }
        if identical { return true }
        let (left, right) = (lhs.type.utf8, rhs.type.utf8)
        guard left.count == right.count else { return false }
        // Native strings lend their bytes without a copy.
        let compared = left.withContiguousStorageIfAvailable { left in
            right.withContiguousStorageIfAvailable { right in
                sameBytes(UnsafeRawBufferPointer(left), UnsafeRawBufferPointer(right))
            }
        }
        return (compared ?? nil) ?? left.elementsEqual(right)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = type.utf8.withContiguousStorageIfAvailable {
            hasher.combine(bytes: UnsafeRawBufferPointer($0))
        }
        if hashed == nil {
            for byte in type.utf8 { hasher.combine(byte) }
        }
    }

    private static func sameBytes(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        guard left.count == right.count else { return false }
        guard let first = left.baseAddress, let second = right.baseAddress else { return left.isEmpty }
        return memcmp(first, second, left.count) == 0
    }
}

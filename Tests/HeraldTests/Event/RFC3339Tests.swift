import Foundation
import Herald
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2018-04-05T17:31:00Z", 1_522_949_460),
        ("2018-04-05t17:31:00z", 1_522_949_460),
        ("2018-04-05T19:31:00+02:00", 1_522_949_460),
        ("2018-04-05T12:01:00-05:30", 1_522_949_460),
        ("2018-04-05T17:31:00.5Z", 1_522_949_460.5),
        ("2018-04-05T17:31:00.123Z", 1_522_949_460.123),
        ("2018-04-05T17:31:00.123456Z", 1_522_949_460.123456),
        ("2018-04-05T17:31:00.1234567891234Z", 1_522_949_460.123456789),
        ("2024-02-29T12:00:00Z", 1_709_208_000),
        ("2000-02-29T00:00:00Z", 951_782_400),
        ("1969-12-31T23:59:59.75Z", -0.25),
        ("1900-01-01T00:00:00Z", -2_208_988_800),
        ("2016-12-31T23:59:60Z", 1_483_228_800),
    ])
    func parsesValidTimestamps(text: String, secondsSince1970: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - secondsSince1970) < 1e-6)
    }

    @Test(arguments: [
        "",
        "garbage",
        "2018-04-05",
        "2018-04-05T17:31:00",
        "2018-04-05 17:31:00Z",
        "2018-13-05T17:31:00Z",
        "2018-00-05T17:31:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2018-04-31T00:00:00Z",
        "2018-04-05T24:00:00Z",
        "2018-04-05T17:60:00Z",
        "2018-04-05T17:31:61Z",
        "2018-04-05T17:31:00.Z",
        "2018-04-05T17:31:00+0200",
        "2018-04-05T17:31:00+24:00",
        "2018-04-05T17:31:00Zjunk",
        "18-04-05T17:31:00Z",
        "2018-4-05T17:31:00Z",
        "２０18-04-05T17:31:00Z",
    ])
    func rejectsInvalidTimestamps(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"),
        (1_522_949_460, "2018-04-05T17:31:00Z"),
        (1_522_949_460.5, "2018-04-05T17:31:00.5Z"),
        (1_522_949_460.123, "2018-04-05T17:31:00.123Z"),
        (1_522_949_460.123456, "2018-04-05T17:31:00.123456Z"),
        (1_522_949_460.1234561, "2018-04-05T17:31:00.123456Z"),
        (1_709_208_000, "2024-02-29T12:00:00Z"),
        (-0.25, "1969-12-31T23:59:59.75Z"),
        (-2_208_988_800, "1900-01-01T00:00:00Z"),
    ])
    func formatsInUTCWithTrimmedFractions(secondsSince1970: Double, text: String) {
        #expect(RFC3339.format(Date(timeIntervalSince1970: secondsSince1970)) == text)
    }

    @Test func clampsDatesOutsideWhatRFC3339CanExpress() {
        #expect(RFC3339.format(.distantFuture) == "4001-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1e15)) == "9999-12-31T23:59:59.999999Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1e15)) == "0000-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSinceReferenceDate: .nan)) == "0000-01-01T00:00:00Z")
    }

    @Test(arguments: [
        "2018-04-05T17:31:00Z",
        "2018-04-05T17:31:00.000001Z",
        "2018-04-05T17:31:00.999999Z",
        "1999-12-31T23:59:59.1Z",
        "2038-01-19T03:14:08.654321Z",
    ])
    func formatThenParseIsStable(text: String) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(RFC3339.format(date) == text)
        #expect(RFC3339.parse(RFC3339.format(date)) == date)
    }

    @Test func parsesSubstrings() {
        let line = "at=2018-04-05T17:31:00Z"
        #expect(RFC3339.parse(line.dropFirst(3)) == Date(timeIntervalSince1970: 1_522_949_460))
    }
}

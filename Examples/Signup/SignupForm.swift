/// The simulated sign-up form: who applies each time the timer fires.
///
/// Applicant `n` (from 1) is a new person, unless `n` is picked as a duplicate: then it repeats the email of
/// an earlier applicant, as someone signing up twice would. The picks depend only on `n` and the rate, so
/// every run has the same applicants.
public struct SignupForm: Sendable {
    /// The share of applicants, from 0 to 1, who reuse an earlier applicant's email.
    public let duplicateRate: Double

    /// Creates the form.
    public init(duplicateRate: Double) {
        self.duplicateRate = duplicateRate
    }

    private static let names = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret"]

    /// The request of applicant `number`: the same as an earlier applicant's when `number` is a duplicate.
    public func applicant(_ number: Int) -> RegistrationRequested {
        if number > 1, Self.fraction(number) < duplicateRate {
            return applicant(1 + Int(Self.fraction(number &* 31) * Double(number - 1)))
        }
        let name = Self.names[(number - 1) % Self.names.count]
        return RegistrationRequested(email: "\(name.lowercased()).\(number)@example.com", name: "\(name) \(number)")
    }

    /// A number in 0..<1 that depends only on `number` (Knuth's multiplicative hash).
    private static func fraction(_ number: Int) -> Double {
        Double(UInt32(truncatingIfNeeded: UInt64(number) &* 2_654_435_761)) / 4_294_967_296
    }
}

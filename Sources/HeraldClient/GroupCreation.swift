/// What `PUT /v1/groups/{name}` did.
public enum GroupCreation: Sendable, Hashable {
    /// The group was created (201).
    case created
    /// The group existed with the same settings and was left as it was (200).
    case alreadyExists
}

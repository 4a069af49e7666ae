extension ConsumerGroupConfiguration {
    /// Why `other` conflicts with these settings of an existing group, naming each setting that differs.
    package func conflict(with other: ConsumerGroupConfiguration) -> EventLogError {
        let mine = self
        var differences: [String] = []
        if mine.topic != other.topic { differences.append("topic '\(mine.topic)' vs '\(other.topic)'") }
        if mine.start != other.start { differences.append("start \(mine.start) vs \(other.start)") }
        if mine.maxAttempts != other.maxAttempts {
            differences.append("max_attempts \(mine.maxAttempts) vs \(other.maxAttempts)")
        }
        if mine.ackTimeout != other.ackTimeout {
            differences.append("ack_timeout \(mine.ackTimeout) vs \(other.ackTimeout)")
        }
        if mine.ordered != other.ordered { differences.append("ordered \(mine.ordered) vs \(other.ordered)") }
        return EventLogError(
            .groupConflict,
            "consumer group '\(mine.name)' exists with other settings (\(differences.joined(separator: ", "))); "
                + "delete it first or use another name"
        )
    }
}

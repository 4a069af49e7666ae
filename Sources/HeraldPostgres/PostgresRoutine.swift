import Crypto
import Foundation

/// A statement that runs as a PL/pgSQL function of the store's schema, so that each connection plans it once
/// and keeps the plan, where a statement sent with its text is planned at every call. Planning the
/// statements of every steady poll (``PostgresTake``, ``PostgresAcknowledge``) took longer than running them.
/// The function forces a generic plan (`SET plan_cache_mode`), which the cost estimates alone would refuse
/// while a freshly loaded log has no statistics; the statements' plans do not depend on their parameters.
///
/// A routine's name ends in a digest of its definition, so a build calls only the body it was built with,
/// whatever other builds share the schema. ``PostgresSchema/migrate(_:tables:routines:logger:)`` creates the routines
/// a build calls when they are missing.
struct PostgresRoutine: Sendable {
    /// The function's name in its schema.
    let name: String
    /// The schema, quoted.
    let schema: String
    /// The `CREATE FUNCTION` statement.
    let definition: String
    /// The statement that calls the function with the parameters `$1`... in order.
    let call: String

    init(_ t: PostgresTables, base: String, parameters: [String], results: [String], body: String) {
        let columns = results.enumerated().map { "result\($0.offset) \($0.element)" }
        let signature = """
            (\(parameters.joined(separator: ", "))) RETURNS TABLE (\(columns.joined(separator: ", ")))
            LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $routine$
            #variable_conflict use_column
            BEGIN
            RETURN QUERY \(body);
            END
            $routine$
            """
        let digest = SHA256.hash(data: Data(signature.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        name = "\(base)_\(digest)"
        schema = t.schema
        definition = "CREATE FUNCTION \(t.schema).\(name) \(signature)"
        let arguments = parameters.enumerated().map { "$\($0.offset + 1)::\($0.element)" }
        call = "SELECT * FROM \(t.schema).\(name)(\(arguments.joined(separator: ", ")))"
    }

    /// ``PostgresTake`` of an unordered group, leasing and locking its row.
    static func take(_ t: PostgresTables) -> PostgresRoutine {
        PostgresRoutine(
            t,
            base: "take",
            parameters: PostgresTake.parameterTypes,
            results: PostgresTake.resultTypes,
            body: PostgresTake.text(t, leasing: true, locking: true)
        )
    }

    /// ``PostgresAcknowledge``.
    static func acknowledge(_ t: PostgresTables) -> PostgresRoutine {
        PostgresRoutine(
            t,
            base: "acknowledge",
            parameters: PostgresAcknowledge.parameterTypes,
            results: PostgresAcknowledge.resultTypes,
            body: PostgresAcknowledge.text(t)
        )
    }
}

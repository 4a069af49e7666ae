import ArgumentParser
import Herald
import HeraldSecurity
import HeraldServer

extension ServeCommand {
    /// `configuration` with the certificate and key of `--tls-cert` and `--tls-key`, when given (both or
    /// neither).
    func withTLS(_ configuration: HeraldServerConfiguration) throws -> HeraldServerConfiguration {
        var configuration = configuration
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            do {
                configuration.tls = try ServerTLS.load(certificateFile: certificateFile, keyFile: keyFile)
            } catch {
                throw ValidationError(error.message)
            }
        case (_?, nil):
            throw ValidationError("--tls-cert needs --tls-key: give the PEM file of the certificate's private key")
        case (nil, _?):
            throw ValidationError("--tls-key needs --tls-cert: give the PEM file of the certificate chain")
        }
        return configuration
    }

    /// The encryptor of `--encrypt-at-rest`: the first key encrypts, every key decrypts. `nil` without the flag.
    func atRestEncryptor() throws -> EventEncryptor? {
        var keys: [EventEncryptionKey] = []
        for text in encryptAtRest {
            do {
                keys.append(try EventEncryptionKey(parsing: text))
            } catch {
                throw ValidationError("--encrypt-at-rest: \(error.message)")
            }
        }
        guard let current = keys.first else { return nil }
        guard Set(keys.map(\.id)).count == keys.count else {
            throw ValidationError("--encrypt-at-rest: each key needs its own id; an id is given twice")
        }
        return EventEncryptor(current: current, previous: Array(keys.dropFirst()))
    }

    /// `store`, behind encryption at rest when `--encrypt-at-rest` is given.
    func servedStore(_ store: any EventLog & ConsumerGroupStore) throws -> any EventLog & ConsumerGroupStore {
        guard let encryptor = try atRestEncryptor() else { return store }
        return EncryptedAtRestStore(base: store, encryptor: encryptor)
    }
}

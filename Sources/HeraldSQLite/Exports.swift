// The types of the outbox transaction's SQL API, so that `import HeraldSQLite` is enough to use it.
@_exported import struct SQLiteNIO.SQLiteColumn
@_exported import enum SQLiteNIO.SQLiteData
@_exported import struct SQLiteNIO.SQLiteError
@_exported import struct SQLiteNIO.SQLiteRow

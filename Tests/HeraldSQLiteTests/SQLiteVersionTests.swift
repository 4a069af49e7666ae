import HeraldSQLite
import Testing

@Test func linksSQLite3() {
    #expect(SQLiteEventStoreVersion.sqlite.hasPrefix("3."))
}

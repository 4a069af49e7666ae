@_exported import Herald

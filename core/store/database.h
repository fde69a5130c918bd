#pragma once

#include "common/result.h"

#include <QSqlDatabase>
#include <QString>
#include <QVariantList>

#include <memory>

class QSqlQuery;

namespace cd::store {

class SqlDialect;

// One open connection plus its dialect. Everything runs on the thread that opened it (the main
// thread): group commits keep each transaction to a few milliseconds.
class Database
{
public:
    Database();
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // `location` is a SQLite file path or a postgresql://user:password@host:port/database URL.
    // `applicationName` names the connection in pg_stat_activity (PostgreSQL; one per node).
    Status open(const QString &location, const QString &applicationName = {});
    static bool isPostgres(const QString &location);
    void close();

    QSqlDatabase &db() { return m_db; }
    const SqlDialect &dialect() const { return *m_dialect; }
    int schemaVersion() const { return m_schemaVersion; }

    // Prepares, binds and runs `sql`. A connection that went away (QPSQL does not reconnect by
    // itself) is reopened and the statement run once more on the new connection.
    Result<QSqlQuery> run(const QString &sql, const QVariantList &values, const char *what);
    // PostgreSQL: reopens a connection that no longer answers; true when it did. Statements
    // prepared on the old connection must be prepared again (see generation()).
    bool reconnectIfLost();
    // The database answers a trivial query.
    bool reachable();
    quint64 generation() const { return m_generation; }

private:
    Status migrate();

    QSqlDatabase m_db;
    QString m_connectionName;
    std::unique_ptr<SqlDialect> m_dialect;
    int m_schemaVersion = 0;
    quint64 m_generation = 0;
};

} // namespace cd::store

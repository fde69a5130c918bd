#pragma once

#include "common/result.h"

#include <QSqlDatabase>
#include <QString>

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
    Status open(const QString &location);
    void close();
    bool isOpen() const;

    QSqlDatabase &db() { return m_db; }
    const SqlDialect &dialect() const { return *m_dialect; }
    int schemaVersion() const { return m_schemaVersion; }
    QString location() const { return m_location; }

    // Runs a prepared statement; on failure the error names the statement's purpose.
    static Status exec(QSqlQuery &q, const char *what);

private:
    Status migrate();

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_location;
    std::unique_ptr<SqlDialect> m_dialect;
    int m_schemaVersion = 0;
};

} // namespace cd::store

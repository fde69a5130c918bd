#pragma once

#include <QString>
#include <QStringList>

class QSqlDatabase;

namespace cd::store {

// Everything that differs between SQLite and PostgreSQL lives behind this seam; the statements in
// JobStore/LogStore are written in the SQL both understand.
class SqlDialect
{
public:
    virtual ~SqlDialect() = default;
    virtual QString driver() const = 0;
    virtual QString name() const = 0;
    // Session set-up run once after the connection opens (pragmas, time zone).
    virtual QStringList sessionSetup() const = 0;
    // Forward-only numbered migrations; entry i brings the schema to version i + 1.
    virtual QList<QStringList> migrations() const = 0;
    // The larger of two values (SQLite's two-argument MAX, PostgreSQL's GREATEST).
    virtual QString greatest() const = 0;
};

// The schema's migrations with `bigint` as the 64-bit integer type and `blob` as the byte-string
// type (schema.cpp).
QList<QStringList> crawldeckSchema(const QString &bigint, const QString &blob);

class SqliteDialect final : public SqlDialect
{
public:
    QString driver() const override { return QStringLiteral("QSQLITE"); }
    QString name() const override { return QStringLiteral("sqlite"); }
    QStringList sessionSetup() const override;
    QList<QStringList> migrations() const override;
    QString greatest() const override { return QStringLiteral("MAX"); }
};

// PostgreSQL through Qt's QPSQL driver (libpq). Several nodes share log numbering (row locks) and
// the change feed (LISTEN/NOTIFY); claiming with SKIP LOCKED and heartbeats are not built yet.
class PostgresDialect final : public SqlDialect
{
public:
    QString driver() const override { return QStringLiteral("QPSQL"); }
    QString name() const override { return QStringLiteral("postgresql"); }
    QStringList sessionSetup() const override;
    QList<QStringList> migrations() const override;
    QString greatest() const override { return QStringLiteral("GREATEST"); }
};

} // namespace cd::store

#include "database.h"

#include "sqldialect.h"

#include "common/privatefiles.h"

#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>
#include <QUuid>
#include <QVariant>

Q_LOGGING_CATEGORY(lcDatabase, "crawldeck.store.database", QtInfoMsg)

namespace cd::store {

using Code = Error::Code;

Database::Database() = default;

Database::~Database()
{
    close();
}

bool Database::isPostgres(const QString &location)
{
    return location.startsWith(QStringLiteral("postgres://")) || location.startsWith(QStringLiteral("postgresql://"));
}

Status Database::open(const QString &location, const QString &applicationName)
{
    m_connectionName = QStringLiteral("crawldeck-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    QString shown = location;
    if (isPostgres(location)) {
        // postgresql://user:password@host:port/database?sslmode=require
        const QUrl url(location);
        if (!url.isValid() || url.path().size() < 2)
            return Error::make(Code::InvalidArgument, QStringLiteral("cannot read the database URL; expected "
                                                                     "postgresql://user:password@host:port/database"));
        m_dialect = std::make_unique<PostgresDialect>();
        m_db = QSqlDatabase::addDatabase(m_dialect->driver(), m_connectionName);
        if (!m_db.isValid())
            return Error::make(Code::Unavailable, QStringLiteral("Qt's PostgreSQL driver (QPSQL) is not installed"));
        m_db.setHostName(url.host().isEmpty() ? QStringLiteral("localhost") : url.host());
        m_db.setPort(url.port(5432));
        m_db.setDatabaseName(url.path().mid(1));
        m_db.setUserName(url.userName());
        m_db.setPassword(url.password());
        QStringList options{QStringLiteral("connect_timeout=10")};
        if (!applicationName.isEmpty()) {
            // A conninfo value without quoting: keep to characters that need none (63 bytes max).
            QString name = applicationName.left(63);
            for (QChar &c : name)
                if (!c.isLetterOrNumber() && c != u'.' && c != u':' && c != u'-' && c != u'_')
                    c = u'_';
            options << QStringLiteral("application_name=") + name;
        }
        for (const auto &item : QUrlQuery(url).queryItems())
            options << item.first + u'=' + item.second;
        m_db.setConnectOptions(options.join(u';'));
        QUrl safe = url;
        safe.setPassword(QString());
        shown = safe.toString();
    } else {
        m_dialect = std::make_unique<SqliteDialect>();
        const QFileInfo fi(location);
        if (!QDir().mkpath(fi.absolutePath()))
            return Error::make(Code::Unavailable,
                               QStringLiteral("cannot create database directory %1").arg(fi.absolutePath()));
        // SQLite creates its -wal and -shm files with the database file's mode: a private database
        // file keeps all three private.
        if (location != u":memory:" && !createPrivateFile(fi.absoluteFilePath()))
            return Error::make(Code::Unavailable, QStringLiteral("cannot create database file %1").arg(location));
        // A database made by an older build, or copied in, may still be readable by others.
        const QString file = fi.absoluteFilePath();
        const QStringList tightened =
            tightenPrivate({file, file + QStringLiteral("-wal"), file + QStringLiteral("-shm")});
        if (!tightened.isEmpty())
            qCWarning(lcDatabase).noquote() << "made the database private:" << tightened.join(QStringLiteral(", "));
        m_db = QSqlDatabase::addDatabase(m_dialect->driver(), m_connectionName);
        m_db.setDatabaseName(location);
    }
    if (!m_db.open())
        return Error::make(Code::Unavailable,
                           QStringLiteral("cannot open database %1: %2").arg(shown, m_db.lastError().text()));
    for (const QString &stmt : m_dialect->sessionSetup()) {
        QSqlQuery q(m_db);
        if (!q.exec(stmt))
            return Error::make(Code::Unavailable,
                               QStringLiteral("database set-up failed (%1): %2").arg(stmt, q.lastError().text()));
    }
    return migrate();
}

Status Database::migrate()
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER NOT NULL)")))
        return Error::make(Code::Internal, QStringLiteral("cannot create schema_meta: %1").arg(q.lastError().text()));
    if (!q.exec(QStringLiteral("SELECT version FROM schema_meta")))
        return Error::make(Code::Internal, QStringLiteral("cannot read schema_meta: %1").arg(q.lastError().text()));
    const bool hasRow = q.next();
    m_schemaVersion = hasRow ? q.value(0).toInt() : 0;

    const auto steps = m_dialect->migrations();
    if (m_schemaVersion > steps.size())
        return Error::make(Code::Unavailable,
                           QStringLiteral("database schema version %1 is newer than this build (%2); "
                                          "refusing to touch it")
                               .arg(m_schemaVersion)
                               .arg(steps.size()));
    if (m_schemaVersion == steps.size())
        return Ok{};

    // All pending steps in one transaction: a failed migration leaves the old schema intact.
    if (!m_db.transaction())
        return Error::make(Code::Internal, QStringLiteral("cannot begin migration: %1").arg(m_db.lastError().text()));
    for (int v = m_schemaVersion; v < steps.size(); ++v) {
        for (const QString &stmt : steps.at(v)) {
            QSqlQuery m(m_db);
            if (!m.exec(stmt)) {
                const QString err = m.lastError().text();
                m_db.rollback();
                return Error::make(Code::Internal, QStringLiteral("migration %1 failed: %2").arg(v + 1).arg(err));
            }
        }
    }
    QSqlQuery w(m_db);
    w.prepare(hasRow ? QStringLiteral("UPDATE schema_meta SET version = ?")
                     : QStringLiteral("INSERT INTO schema_meta (version) VALUES (?)"));
    w.addBindValue(static_cast<int>(steps.size()));
    if (!w.exec() || !m_db.commit()) {
        m_db.rollback();
        return Error::make(Code::Internal,
                           QStringLiteral("cannot record schema version: %1").arg(w.lastError().text()));
    }
    m_schemaVersion = static_cast<int>(steps.size());
    return Ok{};
}

Result<QSqlQuery> Database::run(const QString &sql, const QVariantList &values, const char *what)
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        QSqlQuery q(m_db);
        q.setForwardOnly(true);
        if (q.prepare(sql)) {
            for (const QVariant &v : values)
                q.addBindValue(v);
            if (q.exec())
                return q;
        }
        const QString why = q.lastError().text();
        if (attempt == 0 && reconnectIfLost())
            continue;
        return Error::make(Code::Internal, QStringLiteral("database error while %1: %2").arg(QLatin1String(what), why));
    }
    return Error::make(Code::Internal, QStringLiteral("database error while %1").arg(QLatin1String(what)));
}

bool Database::reachable()
{
    return QSqlQuery(m_db).exec(QStringLiteral("SELECT 1"));
}

bool Database::reconnectIfLost()
{
    if (dynamic_cast<PostgresDialect *>(m_dialect.get()) == nullptr || m_connectionName.isEmpty())
        return false;
    if (QSqlQuery probe(m_db); probe.exec(QStringLiteral("SELECT 1")))
        return false;
    m_db.close();
    if (!m_db.open())
        return false;
    for (const QString &stmt : m_dialect->sessionSetup())
        QSqlQuery(m_db).exec(stmt);
    ++m_generation;
    return true;
}

void Database::close()
{
    if (m_connectionName.isEmpty())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
}

} // namespace cd::store

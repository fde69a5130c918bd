#pragma once

#include <QString>

namespace cdtest {

// A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl into a temporary directory, as a
// non-root user (the `postgres` user when the tests run as root), on a free loopback port, with
// trust authentication. Started on first use, stopped when the test process exits.
class PgCluster
{
public:
    static PgCluster &instance();
    bool available() const { return m_port != 0; }
    QString whyNot() const { return m_whyNot; }
    // True when the PostgreSQL binaries or driver are absent (a skip); otherwise a failure to
    // start is a test failure.
    bool missing() const { return m_missing; }
    // A new, empty database; returns its postgresql:// URL.
    QString createDatabase();
    // Stops the server (fast shutdown: clients are disconnected, as in a restart) and starts it
    // again on the same port and socket directory; true when it did what was asked.
    bool stop();
    bool start();
    quint16 port() const { return m_port; }

    ~PgCluster();

private:
    PgCluster();
    bool run(const QString &program, const QStringList &args, QString *output = nullptr) const;

    QString m_bin;
    QString m_dir;
    QString m_opts;
    QString m_whyNot;
    quint16 m_port = 0;
    bool m_asPostgres = false;
    bool m_missing = false;
    int m_dbs = 0;
};

} // namespace cdtest

// Skips (loudly) only when PostgreSQL is not installed; a cluster that will not start fails.
#define REQUIRE_PG()                                                                                                   \
    do {                                                                                                               \
        const cdtest::PgCluster &pg = cdtest::PgCluster::instance();                                                   \
        if (pg.missing())                                                                                              \
            GTEST_SKIP() << "\n\n*** SKIPPED: no PostgreSQL here: " << pg.whyNot().toStdString() << " ***\n";          \
        ASSERT_TRUE(pg.available()) << pg.whyNot().toStdString();                                                      \
    } while (false)

#include <QTemporaryDir>

#include <gtest/gtest.h>

namespace cdtest {

// A suite that runs on SQLite and on PostgreSQL (a fresh database of the throwaway cluster):
// `class X : public cdtest::OnEachDialect {};` then INSTANTIATE_TEST_SUITE_P with kDialects.
class OnEachDialect : public testing::TestWithParam<const char *>
{
protected:
    void SetUp() override
    {
        if (QLatin1String(GetParam()) == QLatin1String("postgresql")) {
            REQUIRE_PG();
            m_location = PgCluster::instance().createDatabase();
        } else {
            m_location = m_dir.filePath(QStringLiteral("a.db"));
        }
    }
    QString location() const { return m_location; }
    // A scratch directory of the test (the SQLite file is in it).
    const QTemporaryDir &scratch() const { return m_dir; }

private:
    QTemporaryDir m_dir;
    QString m_location;
};

inline std::string dialectName(const testing::TestParamInfo<const char *> &info)
{
    return std::string(info.param);
}

} // namespace cdtest

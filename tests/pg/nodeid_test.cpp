// One node id, one process (DESIGN §7): a second process started under a live node's id refuses to
// run before it touches that node's jobs; a node restarted at once after a crash takes its own id
// back; a node whose row another process took over stops. Also what /metrics tells about the node.
#include "nodecluster.h"
#include "pgcluster.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using cdtest::PgCluster;

namespace {

const QByteArray kToken = cdtest::NodeProcess::kToken;

class Node : public cdtest::NodeProcess
{
public:
    Node(QString id, QString database, QString dataDir, QStringList extra)
        : NodeProcess(QStringLiteral(CRAWLDECK_BINARY), std::move(id), std::move(database), std::move(dataDir),
                      std::move(extra))
    {}
};

QString submitLong(quint16 port)
{
    const auto r =
        cdtest::postJson(port, "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("long")}}, kToken);
    EXPECT_EQ(r.status, 201) << r.body.toStdString();
    return r.json().value(QStringLiteral("id")).toString();
}

// One sample's value from /metrics text; NaN when absent.
double metric(quint16 port, const QByteArray &series)
{
    const auto r = cdtest::getJson(port, "/metrics", kToken);
    const QByteArray prefix = series + ' ';
    for (const QByteArray &line : r.body.split('\n'))
        if (line.startsWith(prefix))
            return line.mid(series.size() + 1).toDouble();
    return std::nan("");
}

// Waits (10 s at most) until the job is running on node-a.
bool runsOnNodeA(const cdtest::SqlProbe &sql, const QString &id)
{
    return cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running' AND "
                                             "node = 'node-a'"),
                              {id}) == 1;
        },
        10000);
}

const QStringList kLong{QStringLiteral("--local-profile"), QStringLiteral("long=sleep 60")};

} // namespace

TEST(NodeId, ASecondProcessUnderALiveNodesIdRefusesToRunAndTouchesNothing)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), kLong);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const QString id = submitLong(a.port());
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(runsOnNodeA(sql, id));
    const auto startedBefore = sql.rows(QStringLiteral("SELECT started_at FROM nodes WHERE id = 'node-a'"));

    // Same id, its own data directory (so no lock file stops it): the operator copied a unit file.
    cdtest::Headless twin(
        QStringLiteral(CRAWLDECK_BINARY), dir.filePath(QStringLiteral("twin")), kToken,
        QStringList{QStringLiteral("--database"), url, QStringLiteral("--node-id"), QStringLiteral("node-a")} + kLong);
    QElapsedTimer clock;
    clock.start();
    twin.start();
    ASSERT_TRUE(twin.process().waitForFinished(20000)) << twin.stderrText().toStdString();
    const qint64 refusedMs = clock.elapsed();
    EXPECT_EQ(twin.process().exitStatus(), QProcess::NormalExit);
    EXPECT_EQ(twin.process().exitCode(), 1);
    EXPECT_TRUE(twin.stderrText().contains("node id 'node-a' is in use by a live process"))
        << twin.stderrText().toStdString();

    // The first node and its job are untouched: not settled "after restart", not left, not rescued.
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running' AND "
                                        "node = 'node-a' AND claim = 1"),
                         {id}),
              1);
    EXPECT_EQ(sql.rows(QStringLiteral("SELECT started_at FROM nodes WHERE id = 'node-a'")), startedBefore);
    cdtest::spin(1500);
    EXPECT_EQ(metric(a.port(), "crawldeck_node_heartbeat_ok"), 1.0) << a.stderrText().toStdString();
    EXPECT_EQ(metric(a.port(), "crawldeck_node_leader"), 1.0);
    EXPECT_EQ(metric(a.port(), "crawldeck_database_up"), 1.0);
    EXPECT_EQ(metric(a.port(), "crawldeck_feed_listening"), 1.0);
    EXPECT_LT(metric(a.port(), "crawldeck_node_heartbeat_age_seconds"), 6.0);
    std::printf("[ FIGURES  ] a second process under a live node's id exited after %lld ms\n",
                static_cast<long long>(refusedMs));
}

TEST(NodeId, ANodeRestartedAtOnceAfterKill9TakesItsIdBackAndSettlesItsOwnJob)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), kLong);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const QString id = submitLong(a.port());
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(runsOnNodeA(sql, id));

    // Its heartbeat is seconds old, far younger than the 30 s timeout: the new process cannot tell a
    // crash from a twin at once, so it watches the row before it settles anything.
    a.kill();
    QElapsedTimer clock;
    clock.start();
    a.start();
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    EXPECT_EQ(metric(a.port(), "crawldeck_node_heartbeat_ok"), 0.0);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status IN ('failed', "
                                             "'cancelled')"),
                              {id}) == 1;
        },
        20000))
        << a.stderrText().toStdString();
    const qint64 settledMs = clock.elapsed();
    EXPECT_LE(settledMs, 16000);
    EXPECT_TRUE(cdtest::waitUntil([&] { return metric(a.port(), "crawldeck_node_heartbeat_ok") == 1.0; }, 5000));
    EXPECT_FALSE(a.stderrText().contains("in use by a live process")) << a.stderrText().toStdString();
    // It runs new work as usual.
    const QString next = submitLong(a.port());
    EXPECT_TRUE(runsOnNodeA(sql, next));
    std::printf("[ FIGURES  ] node restarted at once after kill -9: its own running job settled after %lld ms\n",
                static_cast<long long>(settledMs));
}

TEST(NodeId, ANodeWhoseRowAnotherProcessTookOverStops)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), kLong);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    cdtest::SqlProbe sql(url);
    // What a second process under the same id does when it starts (the row looked free to both).
    ASSERT_TRUE(sql.exec(QStringLiteral("UPDATE nodes SET started_at = '2026-01-01T00:00:00.000Z', address = "
                                        "'http://10.0.0.9:8000' WHERE id = 'node-a'")));
    EXPECT_TRUE(cdtest::waitUntil([&] { return metric(a.port(), "crawldeck_node_heartbeat_ok") != 1.0; }, 8000));
    // It stops rather than fight over the row; the row stays the other process's.
    EXPECT_EQ(a.terminate(), 1) << a.stderrText().toStdString();
    EXPECT_TRUE(a.stderrText().contains("another process took over node id 'node-a' (started "
                                        "2026-01-01T00:00:00.000Z at http://10.0.0.9:8000)"))
        << a.stderrText().toStdString();
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM nodes WHERE id = 'node-a' AND heartbeat_at <> ''")), 1);
}

// Several real `crawldeck --headless` nodes on one throwaway PostgreSQL database (DESIGN §7): claims,
// heartbeats, rescue of a dead node's jobs, fencing of a node that comes back late.
#include "cluster/clusternode.h"
#include "nodecluster.h"
#include "pgcluster.h"
#include "runpodemulator.h"
#include "stack.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/nodestore.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QUrl>
#include <QUrlQuery>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

using namespace cd;
using cdtest::PgCluster;
using model::JobStatus;

namespace {

const QByteArray kToken = cdtest::NodeProcess::kToken;

// A node of these tests: the real binary.
class Node : public cdtest::NodeProcess
{
public:
    Node(QString id, QString database, QString dataDir, QStringList extra,
         QProcessEnvironment env = QProcessEnvironment::systemEnvironment())
        : NodeProcess(QStringLiteral(CRAWLDECK_BINARY), std::move(id), std::move(database), std::move(dataDir),
                      std::move(extra), std::move(env))
    {}
};

QJsonObject submit(quint16 port, const QString &profile, int maxAttempts = 1)
{
    const auto r = cdtest::postJson(
        port, "/api/jobs",
        QJsonObject{{QStringLiteral("profile"), profile}, {QStringLiteral("max_attempts"), maxAttempts}}, kToken);
    EXPECT_EQ(r.status, 201) << r.body.toStdString();
    return r.json();
}

QStringList readLines(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).split(u'\n', Qt::SkipEmptyParts);
}

// The pid a worker wrote to `file`; 0 when it wrote none within 10 s.
qint64 workerPid(const QString &file)
{
    qint64 pid = 0;
    cdtest::waitUntil(
        [&] {
            const auto lines = readLines(file);
            pid = lines.isEmpty() ? 0 : lines.first().toLongLong();
            return pid > 0;
        },
        10000);
    return pid;
}

int jobCount()
{
    const int n = qEnvironmentVariableIntValue("CD_CLUSTER_JOBS");
    return n > 0 ? n : 1000;
}

} // namespace

TEST(Cluster, ThreeNodesRunEveryAttemptExactlyOnce)
{
    REQUIRE_PG();
    const int jobs = jobCount();
    const auto run = cdtest::runNoOps(QStringLiteral(CRAWLDECK_BINARY), 3, jobs);
    ASSERT_TRUE(run.error.isEmpty()) << run.error.toStdString();
    EXPECT_TRUE(run.drained);
    EXPECT_EQ(run.total, jobs);
    EXPECT_EQ(run.completed, jobs);
    // Exactly once per attempt: every job id once in the side-effect file.
    EXPECT_EQ(run.runsPerJob.size(), jobs);
    for (auto it = run.runsPerJob.cbegin(); it != run.runsPerJob.cend(); ++it)
        EXPECT_EQ(it.value(), 1) << it.key().toStdString() << " ran " << it.value() << " times";
    // Every node took a share.
    EXPECT_EQ(run.jobsPerNode.size(), 3);
    for (auto it = run.jobsPerNode.cbegin(); it != run.jobsPerNode.cend(); ++it)
        EXPECT_GT(it.value(), 0) << it.key().toStdString();
    std::printf("[ FIGURES  ] 3 nodes, %d no-op jobs: %.1f s, %.0f jobs/s; enqueue-to-start p50 %.0f ms, p99 %.0f "
                "ms\n",
                jobs, run.seconds, run.jobsPerSecond, run.startP50Ms, run.startP99Ms);
}

TEST(Cluster, ClaimsAreFencedAndTakenOverOnce)
{
    REQUIRE_PG();
    // Two stores on two connections stand for two nodes; the statements are the ones the nodes run.
    const QString url = PgCluster::instance().createDatabase();
    store::Database dbA, dbB;
    ASSERT_TRUE(dbA.open(url).ok());
    ASSERT_TRUE(dbB.open(url).ok());
    store::JobStore a(&dbA), b(&dbB);
    a.setNode(QStringLiteral("a"));
    b.setNode(QStringLiteral("b"));
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(a.insert(model::JobSpec{}).ok());
    // queue_seq comes from a sequence: distinct, in submission order.
    cdtest::SqlProbe sql(url);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(DISTINCT queue_seq) FROM jobs")), 10);

    // Each claim takes distinct rows; a global cap of 6 holds across both.
    const auto first = a.claim(model::Backend::Local, 4, 6);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->size(), 4);
    const auto second = b.claim(model::Backend::Local, 4, 6);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->size(), 2);
    const auto third = b.claim(model::Backend::Local, 4, 6);
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(third->size(), 0);
    QSet<QString> ids;
    for (const auto &j : first.value() + second.value()) {
        EXPECT_EQ(j.status, JobStatus::Starting);
        ids.insert(j.id);
    }
    EXPECT_EQ(ids.size(), 6);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE node = 'a' AND claim = 1")), 4);

    // Node a goes quiet; b takes one of its jobs over (as the leader does).
    const QString id = first->first().id;
    ASSERT_TRUE(a.transition(id, JobStatus::Running).ok());
    const auto held = b.heldBy(QStringLiteral("a"));
    ASSERT_TRUE(held.ok());
    const auto it = std::find_if(held->cbegin(), held->cend(), [&](const auto &h) { return h.job.id == id; });
    ASSERT_NE(it, held->cend());
    EXPECT_EQ(it->claim, 1);
    const auto taken = b.takeOver(*it, std::nullopt, {}, true);
    ASSERT_TRUE(taken.ok());
    EXPECT_EQ(taken->node, QStringLiteral("b"));
    // A second take-over with the old claim loses: there is one new holder.
    EXPECT_FALSE(a.takeOver(*it, JobStatus::Failed, {}, false).ok());

    // a comes back and tries to finish the job: fenced, told so, nothing written.
    int fenced = 0;
    QObject::connect(&a, &store::JobStore::fencedOut, &a, [&](const QString &j) { fenced += j == id ? 1 : 0; });
    const auto late = a.transition(id, JobStatus::Completed);
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, Error::Code::Conflict);
    EXPECT_EQ(fenced, 1);
    EXPECT_EQ(b.job(id)->status, JobStatus::Running);
    // The new holder finishes it.
    EXPECT_TRUE(b.transition(id, JobStatus::Completed).ok());
    // A job settled by the leader (failed, claim + 1, node unchanged) is lost to a as well: its
    // heartbeat's check names it, and only it.
    const QString other = first->at(2).id;
    const auto held2 = b.heldBy(QStringLiteral("a"));
    ASSERT_TRUE(held2.ok());
    const auto it2 = std::find_if(held2->cbegin(), held2->cend(), [&](const auto &h) { return h.job.id == other; });
    ASSERT_NE(it2, held2->cend());
    ASSERT_TRUE(
        b.takeOver(*it2, JobStatus::Failed, store::JobPatch::withError(QStringLiteral("node lost")), false).ok());
    EXPECT_EQ(a.lostClaims(), QStringList{other});
    EXPECT_TRUE(a.lostClaims().isEmpty());
    // a's remaining claims are intact.
    EXPECT_TRUE(a.transition(first->at(1).id, JobStatus::Running).ok());
    EXPECT_TRUE(a.transition(first->at(3).id, JobStatus::Running).ok());
}

TEST(Cluster, AKilledNodesJobIsRetriedOnAnotherNodeAndNothingFinishesTwice)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const QString marks = dir.filePath(QStringLiteral("marks.txt"));
    const int timeoutS = 3;
    const QStringList extra{QStringLiteral("--local-profile"),
                            QStringLiteral("long=sh -c 'echo start {job_id} >> ") + marks +
                                QStringLiteral("; sleep 4; echo done {job_id} >> ") + marks + u'\'',
                            QStringLiteral("--node-timeout"), QString::number(timeoutS)};
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const QString id = submit(a.port(), QStringLiteral("long"), 2).value(QStringLiteral("id")).toString();
    ASSERT_FALSE(id.isEmpty());
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running' AND "
                                             "node = 'node-a'"),
                              {id}) == 1;
        },
        10000));
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();

    QElapsedTimer sinceKill;
    a.kill();
    sinceKill.start();
    // The job fails "node lost"; its retry runs on b.
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'failed' AND "
                                             "error = 'node lost'"),
                              {id}) == 1;
        },
        (timeoutS + 10) * 1000))
        << b.stderrText().toStdString();
    const double lostAfter = static_cast<double>(sinceKill.elapsed()) / 1000.0;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE retry_of = ? AND node = 'node-b' AND "
                                             "status IN ('running', 'completed')"),
                              {id}) == 1;
        },
        (timeoutS + 10) * 1000 - static_cast<int>(sinceKill.elapsed())))
        << b.stderrText().toStdString();
    const double retriedAfter = static_cast<double>(sinceKill.elapsed()) / 1000.0;
    EXPECT_LE(retriedAfter, timeoutS + 10);
    std::printf("[ FIGURES  ] kill -9 with --node-timeout %d: failed 'node lost' after %.1f s, retry running on "
                "another node after %.1f s\n",
                timeoutS, lostAfter, retriedAfter);

    // a comes back late, under the same name: it finishes nothing twice.
    a.start();
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE retry_of = ? AND status = 'completed'"),
                              {id}) == 1;
        },
        15000));
    cdtest::spin(2 * timeoutS * 1000 / 3 + 500); // a full heartbeat of the restarted node
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE status = 'completed'")), 1);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'failed'"), {id}), 1);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")), 2);

    // Both nodes are listed as alive again.
    const auto nodes = cdtest::getJson(b.port(), "/api/nodes", kToken);
    ASSERT_EQ(nodes.status, 200) << nodes.body.toStdString();
    const QJsonArray list = nodes.json().value(QStringLiteral("nodes")).toArray();
    ASSERT_EQ(list.size(), 2);
    for (const auto &n : list)
        EXPECT_TRUE(n.toObject().value(QStringLiteral("alive")).toBool()) << nodes.body.toStdString();
    EXPECT_EQ(cdtest::getJson(b.port(), "/api/nodes").status, 401);
}

TEST(Cluster, ANodeThatComesBackLateAbandonsTheJobsItLost)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const int timeoutS = 2;
    const QString pids = dir.filePath(QStringLiteral("pids"));
    QDir().mkpath(pids);
    // The worker records its pid, so the test can see whether the late node stopped it.
    const QStringList extra{QStringLiteral("--local-profile"),
                            QStringLiteral("long=sh -c 'echo $$ > ") + pids + QStringLiteral("/{job_id}; sleep 60'"),
                            QStringLiteral("--node-timeout"), QString::number(timeoutS)};
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const QString id = submit(a.port(), QStringLiteral("long"), 1).value(QStringLiteral("id")).toString();
    cdtest::SqlProbe sql(url);
    const qint64 pid = workerPid(pids + u'/' + id);
    ASSERT_GT(pid, 0);
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();

    // a stops answering (not dead: a paused process, a network partition); b settles its job.
    a.pause();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'failed' AND "
                                             "error = 'node lost'"),
                              {id}) == 1;
        },
        (timeoutS + 10) * 1000));
    EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0) << "the worker runs on while its node is paused";

    // a resumes: its claim is gone, so it stops the worker and records nothing.
    a.resume();
    EXPECT_TRUE(cdtest::waitUntil([&] { return ::kill(static_cast<pid_t>(pid), 0) != 0; }, 10000))
        << a.stderrText().toStdString();
    cdtest::spin(500);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'failed' AND "
                                        "error = 'node lost'"),
                         {id}),
              1);
    EXPECT_TRUE(a.stderrText().contains("taken over by another node")) << a.stderrText().toStdString();
}

TEST(Cluster, AKilledNodesRunPodJobIsReattachedNotSubmittedAgain)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    cdtest::RunPodEmulator emu;
    ASSERT_NE(emu.listen(), 0);
    cdtest::EmuScript script;
    script.queueMs = 100;
    script.runMs = 6000;
    script.output = QJsonObject{{QStringLiteral("ok"), true}};
    emu.setDefaultScript(script);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("RUNPOD_API_KEY"), emu.apiKey());
    const int timeoutS = 2;
    const QStringList extra{QStringLiteral("--runpod-endpoint"), emu.endpointUrl().toString(),
                            QStringLiteral("--node-timeout"), QString::number(timeoutS)};
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra, env);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const auto r = cdtest::postJson(a.port(), "/api/jobs",
                                    QJsonObject{{QStringLiteral("backend"), QStringLiteral("runpod")},
                                                {QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}}},
                                    kToken);
    ASSERT_EQ(r.status, 201) << r.body.toStdString();
    const QString id = r.json().value(QStringLiteral("id")).toString();
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND node = 'node-a' AND "
                                             "remote_id IS NOT NULL"),
                              {id}) == 1;
        },
        10000))
        << a.stderrText().toStdString();
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra, env);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();

    QElapsedTimer sinceKill;
    a.kill();
    sinceKill.start();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND node = 'node-b'"), {id}) == 1;
        },
        (timeoutS + 10) * 1000))
        << b.stderrText().toStdString();
    const double reattachedAfter = static_cast<double>(sinceKill.elapsed()) / 1000.0;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'completed'"),
                              {id}) == 1;
        },
        20000))
        << b.stderrText().toStdString();
    std::printf("[ FIGURES  ] kill -9 with --node-timeout %d: RunPod job re-attached by another node after %.1f s\n",
                timeoutS, reattachedAfter);
    EXPECT_EQ(emu.count(QStringLiteral("run")), 1);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs")), 1);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT claim FROM jobs WHERE id = ?"), {id}), 2);
}

TEST(Cluster, ANodeWhoseHeartbeatFailsStopsClaimingUntilItWorksAgain)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    cdtest::Stack st(
        cdtest::StackOptions().noListen().on(url).withProfiles({{QStringLiteral("quick"), QStringLiteral("true")}}));
    store::NodeStore nodes(st.db.get());
    cluster::NodeConfig config;
    config.id = QStringLiteral("test-node");
    config.timeoutS = 1;
    cluster::ClusterNode node(config, &nodes, st.jobs.get(), st.scheduler.get());
    node.start();
    EXPECT_TRUE(st.scheduler->claiming());
    EXPECT_TRUE(node.isLeader());

    // The heartbeat's table goes away under it (as a failing database would look to it).
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(sql.exec(QStringLiteral("ALTER TABLE nodes RENAME TO nodes_away")));
    node.beat();
    EXPECT_FALSE(st.scheduler->claiming());
    EXPECT_FALSE(node.isLeader());
    model::JobSpec spec;
    spec.params.insert(QStringLiteral("profile"), QStringLiteral("quick"));
    const QString id = st.scheduler->submit(spec).value().id;
    cdtest::spin(1500);
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Queued);

    ASSERT_TRUE(sql.exec(QStringLiteral("ALTER TABLE nodes_away RENAME TO nodes")));
    EXPECT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Completed; }, 5000));
    EXPECT_TRUE(st.scheduler->claiming());
    EXPECT_EQ(
        sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND node = 'test-node' AND claim = 1"), {id}),
        1);
}

TEST(Cluster, OneNodeOnSqliteListsItselfAndRefusesBadClusterOptions)
{
    QTemporaryDir dir;
    Node solo(QStringLiteral("solo"), dir.filePath(QStringLiteral("solo.db")), dir.filePath(QStringLiteral("d")),
              {QStringLiteral("--local-profile"), QStringLiteral("quick=true"), QStringLiteral("--global-slots"),
               QStringLiteral("local=1")});
    ASSERT_NE(solo.port(), 0) << solo.stderrText().toStdString();
    const QString id = submit(solo.port(), QStringLiteral("quick")).value(QStringLiteral("id")).toString();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return cdtest::getJson(solo.port(), "/api/jobs/" + id.toUtf8(), kToken)
                       .json()
                       .value(QStringLiteral("status"))
                       .toString() == u"completed";
        },
        10000));
    EXPECT_EQ(cdtest::getJson(solo.port(), "/api/jobs/" + id.toUtf8(), kToken).json().value(QStringLiteral("node")),
              QStringLiteral("solo"));
    const auto nodes = cdtest::getJson(solo.port(), "/api/nodes", kToken);
    ASSERT_EQ(nodes.status, 200) << nodes.body.toStdString();
    const QJsonArray list = nodes.json().value(QStringLiteral("nodes")).toArray();
    ASSERT_EQ(list.size(), 1);
    EXPECT_EQ(list.first().toObject().value(QStringLiteral("id")), QStringLiteral("solo"));
    EXPECT_TRUE(list.first().toObject().value(QStringLiteral("alive")).toBool());

    // Ambiguous or wrong options are refused with a clear message, not guessed.
    for (const QStringList &bad : {QStringList{QStringLiteral("--global-slots"), QStringLiteral("gpu=2")},
                                   QStringList{QStringLiteral("--global-slots"), QStringLiteral("local")},
                                   QStringList{QStringLiteral("--node-timeout"), QStringLiteral("0")},
                                   QStringList{QStringLiteral("--node-id"), QStringLiteral(" ")}}) {
        QProcess p;
        p.start(QStringLiteral(CRAWLDECK_BINARY), QStringList{QStringLiteral("--headless")} + bad);
        ASSERT_TRUE(p.waitForFinished(10000));
        EXPECT_NE(p.exitCode(), 0) << bad.join(u' ').toStdString();
        EXPECT_TRUE(p.readAllStandardError().contains(bad.first().mid(2).toUtf8())) << bad.join(u' ').toStdString();
    }
}

TEST(Cluster, ANodeStoppedOnPurposeHasItsJobsRetriedWithoutWaitingForTheTimeout)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const int timeoutS = 30;
    const QStringList extra{QStringLiteral("--local-profile"), QStringLiteral("long=sleep 2"),
                            QStringLiteral("--node-timeout"), QString::number(timeoutS)};
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    const QString id = submit(a.port(), QStringLiteral("long"), 2).value(QStringLiteral("id")).toString();
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'running'"), {id}) ==
                   1;
        },
        10000));
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();

    QElapsedTimer sinceStop;
    sinceStop.start();
    EXPECT_EQ(a.terminate(), 0);
    // Well inside the 30 s timeout: the stopped node said it left.
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE retry_of = ? AND node = 'node-b' AND "
                                             "status = 'completed'"),
                              {id}) == 1;
        },
        15000))
        << b.stderrText().toStdString();
    EXPECT_LT(sinceStop.elapsed(), timeoutS * 1000);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'failed' AND error = "
                                        "'node lost'"),
                         {id}),
              1);
    std::printf("[ FIGURES  ] SIGTERM with --node-timeout %d: retry completed on another node after %.1f s\n", timeoutS,
                static_cast<double>(sinceStop.elapsed()) / 1000.0);
}

TEST(Cluster, ACancelSentToOneNodeStopsTheWorkerOnAnother)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const QString pids = dir.filePath(QStringLiteral("pids"));
    QDir().mkpath(pids);
    const QStringList extra{QStringLiteral("--local-profile"),
                            QStringLiteral("long=sh -c 'echo $$ > ") + pids + QStringLiteral("/{job_id}; sleep 60'")};
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();
    const QString id = submit(b.port(), QStringLiteral("long")).value(QStringLiteral("id")).toString();
    const qint64 pid = workerPid(pids + u'/' + id);
    ASSERT_GT(pid, 0);
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();

    QElapsedTimer sinceCancel;
    sinceCancel.start();
    const auto r = cdtest::postJson(a.port(), "/api/jobs/" + id.toUtf8() + "/cancel", {}, kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    // a does not run it: the request is stored, b acts on it.
    EXPECT_EQ(r.json().value(QStringLiteral("status")), QStringLiteral("cancelling"));
    cdtest::SqlProbe sql(url);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'cancelled'"),
                              {id}) == 1;
        },
        5000))
        << b.stderrText().toStdString();
    EXPECT_LT(sinceCancel.elapsed(), 3000);
    EXPECT_NE(::kill(static_cast<pid_t>(pid), 0), 0) << "the worker's process is gone";
    std::printf("[ FIGURES  ] cancel sent to another node: job cancelled after %.2f s\n",
                static_cast<double>(sinceCancel.elapsed()) / 1000.0);
}

// A worker's callback and RunPod's webhook may reach any node behind the proxy: the job token one
// node hands out is accepted by every node on the database (the signing key lives there).
TEST(Cluster, AJobTokenFromOneNodeIsAcceptedByAnother)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const QStringList extra{QStringLiteral("--local-profile"), QStringLiteral("long=sleep 60")};
    Node a(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    Node b(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();
    const QJsonObject job = submit(a.port(), QStringLiteral("long"));
    const QString id = job.value(QStringLiteral("id")).toString();
    const QUrl callback(job.value(QStringLiteral("callback_url")).toString());
    const QString token = QUrlQuery(callback).queryItemValue(QStringLiteral("token"));
    ASSERT_FALSE(token.isEmpty()) << job.value(QStringLiteral("callback_url")).toString().toStdString();

    const QJsonObject line{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), QStringLiteral("from b")}};
    const auto onB = cdtest::postJson(b.port(), "/api/crawler/log?token=" + token.toUtf8(), line);
    EXPECT_EQ(onB.status, 200) << onB.body.toStdString();
    cdtest::SqlProbe sql(url);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = ? AND message = 'from b'"), {id}),
              1);
    // A forged token is still refused there.
    const auto forged = cdtest::postJson(b.port(), "/api/crawler/log?token=" + id.toUtf8() + ".forged", line);
    EXPECT_EQ(forged.status, 401) << forged.body.toStdString();
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = ? AND message = 'from b'"), {id}),
              1);
}

// Several writers and feeds on one PostgreSQL database: durable seqs and LISTEN/NOTIFY between
// "nodes" (each its own connections, as separate processes would have).
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "pgcluster.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QThread>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>

using namespace cd;
using cdtest::PgCluster;

namespace {

// One node's store and feed.
struct Node
{
    Node(const QString &url, const QString &name)
    {
        if (auto st = db.open(url, QStringLiteral("crawldeck:") + name); !st)
            ADD_FAILURE() << st.error().detail.toStdString();
        if (auto st = feed.connectTo(url, name); !st)
            ADD_FAILURE() << st.error().detail.toStdString();
    }
    store::Database db;
    store::JobStore jobs{&db};
    store::LogStore logs{&db};
    feed::ChangeFeed feed{&jobs, &logs};
    logs::LogBus bus{&jobs, &logs, &feed};

    qint64 scalar(const QString &sql)
    {
        auto q = db.run(sql, {}, "test");
        return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
    }
};

// What a feed delivered for one job, with when.
struct Received
{
    QList<qint64> seqs;
    QStringList messages;
    std::map<qint64, qint64> atNs; // seq -> arrival on the clock
    const QElapsedTimer *clock = nullptr;
    void attach(feed::ChangeFeed &feed, const QString &jobId)
    {
        QObject::connect(&feed, &feed::ChangeFeed::linesCommitted, &feed,
                         [this, jobId](const QString &id, const model::LogLines &lines) {
                             if (id != jobId)
                                 return;
                             for (const auto &l : lines) {
                                 seqs << l.seq;
                                 messages << l.message;
                                 if (clock)
                                     atNs[l.seq] = clock->nsecsElapsed();
                             }
                         });
    }
};

QList<qint64> oneTo(qint64 n)
{
    QList<qint64> out;
    for (qint64 i = 1; i <= n; ++i)
        out << i;
    return out;
}

QStringList batch(const QString &tag, int from, int n)
{
    QStringList out;
    for (int i = 0; i < n; ++i)
        out << QStringLiteral("%1 %2").arg(tag).arg(from + i);
    return out;
}

// The LISTEN connection of the feed that announced itself as `node` (found through Qt's registry;
// the feed does not hand it out).
QSqlDatabase listenConnectionOf(const QString &node)
{
    for (const QString &name : QSqlDatabase::connectionNames()) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.connectOptions().contains(QStringLiteral("application_name=crawldeck-feed:") + node))
            return db;
    }
    return {};
}

} // namespace

TEST(PgFeed, TwoWritersNumberOneJobsLinesGaplessAndUniqueAtOnce)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node setup(url, QStringLiteral("setup"));
    const QString jobId = setup.jobs.insert(model::JobSpec{}).value().id;
    constexpr int kRounds = 30;
    constexpr int kLines = 100;
    std::latch go(2);
    std::atomic<int> failures{0};
    auto writer = [&](const QString &tag) {
        return QThread::create([&, tag] {
            store::Database db;
            if (!db.open(url, QStringLiteral("crawldeck:") + tag)) {
                ++failures;
                go.count_down();
                return;
            }
            store::LogStore logs(&db);
            go.arrive_and_wait();
            for (int r = 0; r < kRounds; ++r) {
                model::LogLines lines;
                for (const QString &m : batch(tag, r * kLines, kLines))
                    lines.append(model::LogLine{jobId, 0, QDateTime::currentDateTimeUtc(), model::LogLevel::Info, m,
                                                model::LogSource::Callback});
                logs.enqueue(lines);
                if (!logs.flush())
                    ++failures;
            }
        });
    };
    std::unique_ptr<QThread> a(writer(QStringLiteral("A")));
    std::unique_ptr<QThread> b(writer(QStringLiteral("B")));
    a->start();
    b->start();
    ASSERT_TRUE(a->wait(60000));
    ASSERT_TRUE(b->wait(60000));
    EXPECT_EQ(failures.load(), 0);

    constexpr int kTotal = 2 * kRounds * kLines;
    const QString where = QStringLiteral(" FROM job_logs WHERE job_id = '%1'").arg(jobId);
    EXPECT_EQ(setup.scalar(QStringLiteral("SELECT COUNT(*)") + where), kTotal);
    EXPECT_EQ(setup.scalar(QStringLiteral("SELECT COUNT(DISTINCT seq)") + where), kTotal);
    EXPECT_EQ(setup.scalar(QStringLiteral("SELECT MIN(seq)") + where), 1);
    EXPECT_EQ(setup.scalar(QStringLiteral("SELECT MAX(seq)") + where), kTotal);
    EXPECT_EQ(setup.jobs.job(jobId)->logCount, kTotal);
    // Each writer's lines keep their order, and the two really interleaved.
    const auto all = setup.logs.lines(store::LogQuery{jobId, 0, 10000, {}, {}});
    ASSERT_EQ(all.size(), kTotal);
    QHash<QString, int> next;
    int switches = 0;
    QString last;
    for (const auto &l : all) {
        const QStringList parts = l.message.split(u' ');
        EXPECT_EQ(parts.at(1).toInt(), next[parts.at(0)]++) << "out of order at seq " << l.seq;
        switches += !last.isEmpty() && last != parts.at(0);
        last = parts.at(0);
    }
    EXPECT_GT(switches, 1) << "the writers did not run at the same time; nothing was tested";
}

TEST(PgFeed, LinesCommittedOnOneNodeReachAnotherNodesSubscribersInOrder)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("A"));
    Node b(url, QStringLiteral("B"));
    QStringList jobEventsAtB;
    QObject::connect(&b.feed, &feed::ChangeFeed::jobAdded, &b.feed,
                     [&](const model::Job &j) { jobEventsAtB << QStringLiteral("added ") + j.id; });
    QObject::connect(&b.feed, &feed::ChangeFeed::jobChanged, &b.feed, [&](const model::Job &j) {
        jobEventsAtB << QStringLiteral("changed ") + model::toString(j.status);
    });
    const QString jobId = a.jobs.insert(model::JobSpec{}).value().id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return !jobEventsAtB.isEmpty(); }, 3000));
    EXPECT_EQ(jobEventsAtB.first(), QStringLiteral("added ") + jobId);
    ASSERT_TRUE(a.jobs.transition(jobId, model::JobStatus::Starting));
    ASSERT_TRUE(cdtest::waitUntil([&] { return jobEventsAtB.contains(QStringLiteral("changed starting")); }, 3000));

    QElapsedTimer clock;
    clock.start();
    Received atB;
    atB.clock = &clock;
    atB.attach(b.feed, jobId);
    const quint64 heardBefore = b.feed.notificationsReceived();
    constexpr int kBatches = 200;
    constexpr int kPerBatch = 5;
    std::map<qint64, qint64> committedNs; // last seq of a batch -> commit time at A
    for (int i = 0; i < kBatches; ++i) {
        a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("line"), i * kPerBatch, kPerBatch));
        ASSERT_TRUE(a.logs.flush());
        committedNs[(i + 1) * kPerBatch] = clock.nsecsElapsed();
        cdtest::spin(2); // a live log, not a flood: let notifications be heard between commits
    }
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= kBatches * kPerBatch; }, 10000))
        << "B has " << atB.seqs.size();
    EXPECT_EQ(atB.seqs, oneTo(kBatches * kPerBatch));
    EXPECT_EQ(atB.messages.value(17), QStringLiteral("line 17"));
    EXPECT_GT(b.feed.notificationsReceived(), heardBefore + kBatches / 2) << "delivered by polling, not by NOTIFY";
    // The poll re-reads active jobs every second: an unchanged job is not announced again.
    int changesAtA = 0;
    QObject::connect(&a.feed, &feed::ChangeFeed::jobChanged, &a.feed, [&] { ++changesAtA; });
    const qsizetype eventsAtB = jobEventsAtB.size();
    cdtest::spin(2500);
    EXPECT_EQ(changesAtA, 0);
    EXPECT_EQ(jobEventsAtB.size(), eventsAtB) << jobEventsAtB.join(u',').toStdString();

    std::vector<double> ms;
    for (const auto &[seq, at] : committedNs)
        ms.push_back((atB.atNs.at(seq) - at) / 1e6);
    std::sort(ms.begin(), ms.end());
    std::printf("[ figures  ] node A commit -> node B feed (NOTIFY), %zu commits: p50 %.2f ms, p99 %.2f ms\n",
                ms.size(), ms[ms.size() / 2], ms[static_cast<size_t>(ms.size() * 0.99)]);
}

TEST(PgFeed, LostNotificationsOnlyDelayDelivery)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("A"));
    Node b(url, QStringLiteral("B"));
    b.feed.setPollInterval(300);
    b.feed.setPingInterval(60000); // step 3 turns it on
    const QString jobId = a.jobs.insert(model::JobSpec{}).value().id;
    ASSERT_TRUE(a.jobs.transition(jobId, model::JobStatus::Starting));
    ASSERT_TRUE(a.jobs.transition(jobId, model::JobStatus::Running));
    Received atB;
    atB.attach(b.feed, jobId);

    // 1. A commits without announcing anything (as if every NOTIFY were lost): B's poll finds it.
    a.logs.setCommitNotice({}, {});
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("silent"), 0, 10));
    ASSERT_TRUE(a.logs.flush());
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= 10; }, 5000)) << "B has " << atB.seqs.size();
    a.logs.setCommitNotice(feed::ChangeFeed::channel(),
                           [&a](const QList<store::LogRange> &r) { return a.feed.payloadFor(r, {}, {}); });

    // 2. B's LISTEN backend is killed: B reconnects and listens again by itself.
    EXPECT_EQ(a.scalar(QStringLiteral("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE application_name = 'crawldeck-feed:B'")),
              1);
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("after kill"), 0, 10));
    ASSERT_TRUE(a.logs.flush());
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= 20; }, 5000)) << "B has " << atB.seqs.size();
    ASSERT_TRUE(cdtest::waitUntil([&] { return b.feed.reconnects() >= 1; }, 5000));
    EXPECT_TRUE(b.feed.listening());
    const quint64 heard = b.feed.notificationsReceived();
    b.feed.setPollInterval(60000); // from here on only NOTIFY delivers quickly
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("heard again"), 0, 10));
    ASSERT_TRUE(a.logs.flush());
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= 30; }, 3000)) << "B has " << atB.seqs.size();
    EXPECT_GT(b.feed.notificationsReceived(), heard);

    // 3. Someone UNLISTENs behind B's back: the liveness check notices and listens again.
    QSqlDatabase listen = listenConnectionOf(QStringLiteral("B"));
    ASSERT_TRUE(listen.isValid());
    ASSERT_TRUE(QSqlQuery(listen).exec(QStringLiteral("UNLISTEN *")));
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("unheard"), 0, 10));
    ASSERT_TRUE(a.logs.flush());
    cdtest::spin(300);
    EXPECT_EQ(atB.seqs.size(), 30) << "nothing should announce these lines to B now";
    b.feed.setPingInterval(200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= 40; }, 5000)) << "B has " << atB.seqs.size();
    EXPECT_TRUE(b.feed.listening());
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("last"), 0, 10));
    ASSERT_TRUE(a.logs.flush());
    ASSERT_TRUE(cdtest::waitUntil([&] { return atB.seqs.size() >= 50; }, 3000)) << "B has " << atB.seqs.size();

    EXPECT_EQ(atB.seqs, oneTo(50)); // in order, none lost, none twice
}

TEST(PgFeed, NodesNameTheirConnections)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("host-a:8080"));
    EXPECT_EQ(a.scalar(QStringLiteral("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name IN "
                                      "('crawldeck:host-a:8080', 'crawldeck-feed:host-a:8080')")),
              2);
}

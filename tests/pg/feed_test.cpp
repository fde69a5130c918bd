// Several writers and feeds on one PostgreSQL database: durable seqs and LISTEN/NOTIFY between
// "nodes" (each its own connections, as separate processes would have).
#include "feed/changefeed.h"
#include "feedprobe.h"
#include "headless.h"
#include "logs/logbus.h"
#include "pgcluster.h"
#include "store/database.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>

using namespace cd;
using cdtest::PgCluster;
using cdtest::Received;

namespace {

// One node's stores and feed, its feed listening on the database.
struct Node : cdtest::LoggingStores
{
    Node(const QString &url, const QString &name) : LoggingStores(url, QStringLiteral("crawldeck:") + name)
    {
        if (auto st = feed.connectTo(url, name); !st)
            ADD_FAILURE() << st.error().detail.toStdString();
    }

    qint64 scalar(const QString &sql)
    {
        auto q = db.run(sql, {}, "test");
        return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
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

TEST(PgFeed, ANodesFirstNewsOfAJobIsItsOwnCommitAndEarlierLinesStillGoOut)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("A"));
    Node b(url, QStringLiteral("B"));
    Received atB;
    // No event loop between these: B has heard nothing of the job when its own commit lands.
    const QString jobId = a.jobs.insert(model::JobSpec{}).value().id;
    atB.attach(b.feed, jobId);
    a.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("from A"), 0, 3));
    ASSERT_TRUE(a.logs.flush());
    b.bus.append(jobId, model::LogSource::Callback, batch(QStringLiteral("from B"), 0, 2));
    ASSERT_TRUE(b.logs.flush());
    EXPECT_EQ(atB.seqs, oneTo(5));
    EXPECT_EQ(atB.messages.value(0), QStringLiteral("from A 0"));
    cdtest::spin(300); // A's notices arrive late: nothing twice
    EXPECT_EQ(atB.seqs, oneTo(5));
}

TEST(PgFeed, ACommitTouchingTooManyJobsForOneNoticeTellsOthersToPoll)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    Node a(url, QStringLiteral("A"));
    Node b(url, QStringLiteral("B"));
    b.feed.setPollInterval(60000); // only the "poll now" notice can make B look in time
    QSet<QString> jobs;
    for (int i = 0; i < 200; ++i)
        jobs.insert(a.jobs.insert(model::JobSpec{}).value().id);
    QHash<QString, qint64> lastAtB;
    QObject::connect(&b.feed, &feed::ChangeFeed::linesCommitted, &b.feed,
                     [&](const QString &id, const model::LogLines &lines) { lastAtB[id] = lines.last().seq; });
    for (const QString &id : std::as_const(jobs))
        a.bus.append(id, model::LogSource::Callback, QStringList{QStringLiteral("one"), QStringLiteral("two")});
    ASSERT_TRUE(a.logs.flush()); // one commit, 200 jobs: ~12 KB of ranges
    ASSERT_TRUE(cdtest::waitUntil([&] { return lastAtB.size() == jobs.size(); }, 5000))
        << "B heard of " << lastAtB.size();
    for (auto it = lastAtB.cbegin(); it != lastAtB.cend(); ++it)
        EXPECT_EQ(it.value(), 2) << it.key().toStdString();
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

// Two real `crawldeck --headless` processes on one database: lines posted to both nodes at once for
// one job are numbered gapless and unique, and an SSE stream opened on node B shows every line, A's
// included, in order.
TEST(PgFeed, TwoHeadlessNodesTakeLinesForOneJobAtOnce)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dirA, dirB; // one data directory (and lock) per node
    const QStringList common{QStringLiteral("--database"), url, QStringLiteral("--callback-key"),
                             QStringLiteral("feed-key")};
    cdtest::Headless a(dirA.path(), common);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    cdtest::Headless b(dirB.path(), common);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();
    const QByteArray bearer = QByteArrayLiteral("Bearer ") + cdtest::Headless::kToken;

    const auto created =
        cdtest::postJson(a.port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")}},
                         cdtest::Headless::kToken);
    ASSERT_EQ(created.status, 201) << created.body.toStdString();
    const QByteArray id = created.json().value(QStringLiteral("id")).toString().toUtf8();
    cdtest::SseClient sse(b.port(), "/api/crawler/logs/" + id, {{QByteArrayLiteral("Authorization"), bearer}});
    ASSERT_TRUE(sse.waitForEvent("status"));

    // Four posters at once, two per node, each with its own connections.
    constexpr int kPosters = 4;
    constexpr int kCalls = 150;
    constexpr int kLinesPerCall = 2;
    std::atomic<int> ok{0};
    std::latch go(kPosters);
    std::vector<std::unique_ptr<QThread>> posters;
    for (int p = 0; p < kPosters; ++p) {
        const quint16 port = p % 2 ? b.port() : a.port();
        posters.emplace_back(QThread::create([p, port, id, &ok, &go] {
            go.arrive_and_wait();
            for (int c = 0; c < kCalls; ++c) {
                QJsonArray messages;
                for (int k = 0; k < kLinesPerCall; ++k)
                    messages.append(QStringLiteral("w%1 %2").arg(p).arg(c * kLinesPerCall + k));
                const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("job_id"), QString::fromUtf8(id)},
                                                                  {QStringLiteral("messages"), messages}})
                                            .toJson(QJsonDocument::Compact);
                QTcpSocket s;
                s.connectToHost(QStringLiteral("127.0.0.1"), port);
                if (!s.waitForConnected(5000))
                    continue;
                s.write("POST /api/crawler/log HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nX-API-Key: feed-key\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\n\r\n" + body);
                QByteArray reply;
                while (s.waitForReadyRead(10000))
                    reply += s.readAll();
                reply += s.readAll();
                ok += reply.startsWith("HTTP/1.1 200") ? 1 : 0;
                QThread::yieldCurrentThread(); // the other posters get their turn on two cores
            }
        }));
    }
    for (auto &t : posters)
        t->start();
    for (auto &t : posters)
        ASSERT_TRUE(t->wait(60000));
    ASSERT_EQ(ok.load(), kPosters * kCalls);

    store::Database check;
    ASSERT_TRUE(check.open(url));
    auto value = [&](const QString &sql) {
        auto q = check.run(sql.arg(QString::fromUtf8(id)), {}, "test");
        return q && q.value().next() ? q.value().value(0).toLongLong() : -1;
    };
    const qint64 total = value(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = '%1'"));
    EXPECT_GE(total, kPosters * kCalls * kLinesPerCall);
    EXPECT_EQ(value(QStringLiteral("SELECT COUNT(DISTINCT seq) FROM job_logs WHERE job_id = '%1'")), total);
    EXPECT_EQ(value(QStringLiteral("SELECT MAX(seq) FROM job_logs WHERE job_id = '%1'")), total);
    EXPECT_EQ(value(QStringLiteral("SELECT log_count FROM jobs WHERE id = '%1'")), total);

    // Node B's stream: every line once, in seq order, each poster's lines in the order posted.
    ASSERT_TRUE(cdtest::waitUntil([&] { return sse.messages().size() >= total; }, 10000))
        << "B streamed " << sse.messages().size() << " of " << total << ": " << [&] {
               QByteArray ids;
               for (const auto &e : sse.events())
                   ids += e.id + ' ';
               return ids.toStdString();
           }();
    qint64 expectSeq = 0;
    QHash<QString, int> next;
    int switches = 0;
    int lastNode = -1;
    for (const auto &e : sse.events()) {
        if (!e.event.isEmpty())
            continue;
        EXPECT_EQ(e.id.toLongLong(), ++expectSeq);
        const QStringList parts = QString::fromUtf8(e.data).split(u' ');
        if (parts.size() == 2 && parts.at(0).startsWith(u'w')) {
            EXPECT_EQ(parts.at(1).toInt(), next[parts.at(0)]++) << e.data.toStdString();
            const int node = parts.at(0).mid(1).toInt() % 2;
            switches += lastNode >= 0 && node != lastNode ? 1 : 0;
            lastNode = node;
        }
    }
    EXPECT_GT(switches, 2) << "the two nodes' lines did not interleave; nothing was tested";
    EXPECT_EQ(expectSeq, total);
    for (int p = 0; p < kPosters; ++p)
        EXPECT_EQ(next.value(QStringLiteral("w%1").arg(p)), kCalls * kLinesPerCall);
}

// PostgreSQL restarted under load (DESIGN §7): two real `crawldeck --headless` nodes on one
// database keep taking log callbacks while the server goes away and comes back. Nobody restarts the
// nodes; they have to find their way back, the LISTEN connection included.
#include "nodecluster.h"
#include "pgcluster.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QMutex>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

using cdtest::PgCluster;

namespace {

const QByteArray kToken = cdtest::NodeProcess::kToken;

// What the poster saw of one call.
struct Call
{
    int line = 0;
    int status = 0;
    qint64 sentMs = 0; // on the test's clock
    qint64 atMs = 0;   // when the answer came
    bool retryAfter = false;
};

// Follows a job's log stream on one node; when the server closes it, opens it again from the last
// id seen (Last-Event-ID), as a browser's EventSource would.
class Follower
{
public:
    Follower(quint16 port, QByteArray id) : m_port(port), m_path("/api/crawler/logs/" + id) {}
    void tick()
    {
        if (m_sse && m_sse->connected()) {
            collect();
            return;
        }
        if (m_sse) {
            collect();
            m_sse.reset();
            ++m_reopens;
        }
        cdtest::HeaderList headers{{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + kToken}};
        if (m_lastId > 0)
            headers.append({QByteArrayLiteral("Last-Event-ID"), QByteArray::number(m_lastId)});
        m_sse = std::make_unique<cdtest::SseClient>(m_port, m_path, headers);
        m_taken = 0;
    }
    // Every plain message seen, over all the connections: (id, data).
    const QList<QPair<qint64, QByteArray>> &lines() const { return m_lines; }
    int reopens() const { return m_reopens; }

private:
    void collect()
    {
        const auto events = m_sse->events();
        for (; m_taken < events.size(); ++m_taken) {
            const auto &e = events.at(m_taken);
            if (!e.event.isEmpty() || e.id.isEmpty())
                continue;
            m_lines.append({e.id.toLongLong(), e.data});
            m_lastId = e.id.toLongLong();
        }
    }
    quint16 m_port;
    QByteArray m_path;
    std::unique_ptr<cdtest::SseClient> m_sse;
    qsizetype m_taken = 0;
    qint64 m_lastId = 0;
    int m_reopens = 0;
    QList<QPair<qint64, QByteArray>> m_lines;
};

} // namespace

TEST(PgRestart, CallbacksWaitOrAre503WhileDownAndEveryNodeRecoversByItself)
{
    REQUIRE_PG();
    PgCluster &pg = PgCluster::instance();
    const QString url = pg.createDatabase();
    QTemporaryDir dir;
    const QStringList extra{QStringLiteral("--node-timeout"), QStringLiteral("30")};
    cdtest::NodeProcess a(QStringLiteral(CRAWLDECK_BINARY), QStringLiteral("node-a"), url,
                          dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    cdtest::NodeProcess b(QStringLiteral(CRAWLDECK_BINARY), QStringLiteral("node-b"), url,
                          dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();

    const auto created = cdtest::postJson(a.port(), "/api/jobs",
                                          QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")}}, kToken);
    ASSERT_EQ(created.status, 201) << created.body.toStdString();
    const QByteArray id = created.json().value(QStringLiteral("id")).toString().toUtf8();
    const QByteArray token = QUrlQuery(QUrl(created.json().value(QStringLiteral("callback_url")).toString()))
                                 .queryItemValue(QStringLiteral("token"))
                                 .toUtf8();
    ASSERT_FALSE(token.isEmpty()) << created.body.toStdString();

    Follower follower(b.port(), id);
    follower.tick();

    // One poster, one line per call, on its own thread so the test's loop keeps reading B's stream.
    QElapsedTimer clock;
    clock.start();
    std::atomic<bool> stop{false};
    QMutex mutex;
    QList<Call> calls;
    const quint16 portA = a.port();
    std::unique_ptr<QThread> poster(QThread::create([&] {
        for (int line = 1; !stop.load(); ++line) {
            const QJsonObject body{{QStringLiteral("job_id"), QString::fromUtf8(id)},
                                   {QStringLiteral("message"), QStringLiteral("line %1").arg(line)}};
            const qint64 sent = clock.elapsed();
            const auto r = cdtest::postJson(portA, "/api/crawler/log?token=" + token, body);
            QMutexLocker lock(&mutex);
            calls.append({line, r.status, sent, clock.elapsed(), r.headers.contains("retry-after")});
            lock.unlock();
            QThread::msleep(r.status == 200 ? 10 : 100);
        }
    }));
    poster->start();
    // However the test ends: the poster stopped, the shared cluster running for the tests after it.
    bool pgDown = false;
    const auto cleanup = qScopeGuard([&] {
        stop = true;
        poster->wait(20000);
        if (pgDown)
            pg.start();
    });
    auto spinFollowing = [&](int ms) {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < ms) {
            follower.tick();
            cdtest::spin(50);
        }
    };
    auto okCount = [&] {
        QMutexLocker lock(&mutex);
        return std::count_if(calls.cbegin(), calls.cend(), [](const Call &c) { return c.status == 200; });
    };
    spinFollowing(1000);
    ASSERT_GT(okCount(), 10) << a.stderrText().toStdString();

    // PostgreSQL goes away for about two seconds.
    ASSERT_TRUE(pg.stop());
    pgDown = true;
    const qint64 downAt = clock.elapsed();
    spinFollowing(2000);
    // While it is down a node says so and when to come back; it does not pretend.
    const auto healthDown = cdtest::getJson(b.port(), "/health");
    EXPECT_EQ(healthDown.status, 503) << healthDown.body.toStdString();
    EXPECT_EQ(healthDown.json().value(QStringLiteral("status")), QStringLiteral("unavailable"));
    EXPECT_TRUE(healthDown.headers.contains("retry-after"));
    const auto jobDown = cdtest::getJson(b.port(), "/api/jobs/" + id, kToken);
    EXPECT_TRUE(jobDown.status == 503 && jobDown.headers.contains("retry-after"))
        << jobDown.status << ' ' << jobDown.body.toStdString();
    ASSERT_TRUE(pg.start());
    pgDown = false;
    const qint64 upAt = clock.elapsed();

    // Both nodes answer again without being restarted: A takes lines, B reads the job.
    qint64 aBackAt = -1, bBackAt = -1;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            follower.tick();
            if (bBackAt < 0 && cdtest::getJson(b.port(), "/api/jobs/" + id, kToken).status == 200)
                bBackAt = clock.elapsed();
            QMutexLocker lock(&mutex);
            for (const Call &c : calls)
                if (c.status == 200 && c.atMs > upAt) {
                    aBackAt = c.atMs;
                    break;
                }
            return aBackAt >= 0 && bBackAt >= 0;
        },
        15000))
        << "A back: " << aBackAt << ", B back: " << bBackAt << "\nA: " << a.stderrText().toStdString()
        << "\nB: " << b.stderrText().toStdString();
    spinFollowing(1500); // more lines after the restart, to be carried live
    stop = true;
    ASSERT_TRUE(poster->wait(20000));

    // What the poster was told.
    QList<int> acked;
    int refused = 0, refusedWithoutRetryAfter = 0, unanswered = 0, other = 0, duringOutage = 0;
    for (const Call &c : calls) {
        if (c.status == 200) {
            acked.append(c.line);
            // Nothing can be committed while the server is away (a margin for a reply in transit).
            EXPECT_FALSE(c.atMs > downAt + 200 && c.atMs < upAt) << "line " << c.line << " acknowledged while down";
        } else if (c.status == 503) {
            ++refused;
            refusedWithoutRetryAfter += c.retryAfter ? 0 : 1;
        } else if (c.status == 0) {
            ++unanswered;
        } else {
            ++other;
        }
        duringOutage += c.sentMs < upAt && c.atMs > downAt ? 1 : 0;
    }
    EXPECT_GT(duringOutage, 0) << "no call was in flight while PostgreSQL was down; nothing was tested";
    EXPECT_EQ(refusedWithoutRetryAfter, 0);
    EXPECT_EQ(unanswered, 0) << "a node must answer while its database is away";
    EXPECT_EQ(other, 0);

    // Every acknowledged line is stored exactly once, in the order acknowledged; seqs are gapless.
    cdtest::SqlProbe sql(url);
    const auto rows = sql.rows(QStringLiteral("SELECT seq, message FROM job_logs WHERE job_id = ? ORDER BY seq"),
                               {QString::fromUtf8(id)});
    QHash<int, int> timesStored;
    QList<int> storedOrder;
    for (qsizetype i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows.at(i).at(0).toLongLong(), i + 1) << "seqs have a gap or a repeat";
        const QString msg = rows.at(i).at(1).toString();
        if (msg.startsWith(QStringLiteral("line "))) {
            const int line = msg.mid(5).toInt();
            ++timesStored[line];
            storedOrder.append(line);
        }
    }
    QList<int> ackedStoredOrder;
    for (int line : storedOrder)
        if (acked.contains(line))
            ackedStoredOrder.append(line);
    EXPECT_EQ(ackedStoredOrder, acked) << "acknowledged lines missing, repeated or out of order";
    int refusedButStored = 0;
    for (const Call &c : calls) {
        if (c.status == 200)
            EXPECT_EQ(timesStored.value(c.line), 1) << "line " << c.line << " answered at " << c.atMs << " ms; down "
                                                    << downAt << "-" << upAt << "\nA: " << a.stderrText().toStdString();
        else
            refusedButStored += timesStored.value(c.line) ? 1 : 0;
    }
    EXPECT_EQ(refusedButStored, 0) << "a refused line was stored after all: a client's retry would repeat it";

    // B's stream, across any reconnects, shows every stored line once and in order: its LISTEN came
    // back (or its poll covered for it).
    QElapsedTimer sinceStop;
    sinceStop.start();
    EXPECT_TRUE(cdtest::waitUntil(
        [&] {
            follower.tick();
            return follower.lines().size() >= rows.size();
        },
        10000))
        << "B streamed " << follower.lines().size() << " of " << rows.size();
    const double streamCaughtUpS = static_cast<double>(sinceStop.elapsed()) / 1000.0;
    ASSERT_EQ(follower.lines().size(), rows.size());
    for (qsizetype i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(follower.lines().at(i).first, i + 1);
        EXPECT_EQ(QString::fromUtf8(follower.lines().at(i).second), rows.at(i).at(1).toString());
    }

    // Both nodes' LISTEN connections are back, and lines posted now reach B's stream live: five in a
    // row well inside the 1 s fallback poll, which a poll alone would not manage.
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name IN "
                                        "('crawldeck-feed:node-a', 'crawldeck-feed:node-b')")),
              2);
    qint64 liveMs = 0;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer live;
        live.start();
        const auto late = cdtest::postJson(a.port(), "/api/crawler/log?token=" + token,
                                           QJsonObject{{QStringLiteral("job_id"), QString::fromUtf8(id)},
                                                       {QStringLiteral("message"), QStringLiteral("after %1").arg(i)}});
        ASSERT_EQ(late.status, 200) << late.body.toStdString();
        EXPECT_TRUE(cdtest::waitUntil(
            [&] {
                follower.tick();
                return follower.lines().size() > rows.size() + i;
            },
            5000));
        liveMs = std::max(liveMs, live.elapsed());
        cdtest::spin(137); // not in step with the poll
    }

    for (cdtest::NodeProcess *n : {&a, &b}) {
        const auto health = cdtest::getJson(n->port(), "/health");
        EXPECT_EQ(health.status, 200) << n->id().toStdString() << ' ' << health.body.toStdString();
        EXPECT_EQ(health.json().value(QStringLiteral("status")), QStringLiteral("ok"));
        const auto nodes = cdtest::getJson(n->port(), "/api/nodes", kToken);
        ASSERT_EQ(nodes.status, 200) << nodes.body.toStdString();
        for (const auto &entry : nodes.json().value(QStringLiteral("nodes")).toArray())
            EXPECT_TRUE(entry.toObject().value(QStringLiteral("alive")).toBool()) << nodes.body.toStdString();
    }

    std::printf("[ FIGURES  ] PostgreSQL down %.1f s: %lld calls, %lld acknowledged, %d refused 503, %d in flight "
                "during the outage, /health during it %d; once it was back A took a line after %lld ms, B served the "
                "job after %lld ms; B's stream reopened %d times, caught up %.2f s after the load stopped; new lines "
                "reached B in at most %lld ms\n",
                static_cast<double>(upAt - downAt) / 1000.0, static_cast<long long>(calls.size()),
                static_cast<long long>(acked.size()), refused, duringOutage, healthDown.status,
                static_cast<long long>(aBackAt - upAt), static_cast<long long>(bBackAt - upAt), follower.reopens(),
                streamCaughtUpS, static_cast<long long>(liveMs));
    EXPECT_LT(liveMs, 300);
}

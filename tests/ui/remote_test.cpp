// The window attached to a remote server: a real `crawldeck --headless` child process, restarted
// under a live log, and the window rendered while it is up and while it is away.
#include "artifactmodel.h"
#include "headless.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "jsontreemodel.h"
#include "logconsole.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "session/remotesession.h"
#include "sessions.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QPointer>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <gtest/gtest.h>

#include <cstdio>

using namespace cd;
using cdtest::await;
using session::ConnectionState;
using session::Reply;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// A server on a fixed loopback port (the same after a restart) with a job profile that logs
// `count` numbered lines, `pause` seconds apart.
std::unique_ptr<cdtest::Headless> server(const QString &dir, quint16 port, int count, const char *pause)
{
    const QString ticker = QStringLiteral("ticker=sh -c 'i=0; while [ $i -lt %1 ]; do i=$((i+1)); echo \"[INFO] tick "
                                          "$i\"; sleep %2; done'")
                               .arg(count)
                               .arg(QLatin1String(pause));
    // And one that writes two files and a summary.
    const QString writer = QStringLiteral("writer=sh -c 'echo \"[SUMMARY] {\\\"pages\\\": 3}\"; echo a > a.txt; "
                                          "mkdir d; echo bb > d/b.csv'");
    auto h = std::make_unique<cdtest::Headless>(
        dir, QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                         QStringLiteral("--local-profile"), ticker, QStringLiteral("--local-profile"), writer});
    h->start();
    return h;
}

std::unique_ptr<session::RemoteSession> attach(quint16 port, const QString &cache)
{
    client::ClientConfig config;
    config.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    config.token = cdtest::Headless::kToken;
    auto s = std::make_unique<session::RemoteSession>(config);
    s->setCacheRoot(cache);
    s->start();
    return s;
}

model::JobSpec ticker(const QString &profile = QStringLiteral("ticker"))
{
    model::JobSpec spec;
    spec.params.insert(QStringLiteral("profile"), profile);
    return spec;
}

// What a session announced of one job's log, in the order announced, from the moment the job's
// log index was first asked for (`after` = the index's last seq).
struct Announced
{
    Announced(session::Session *s, const QString &jobId)
    {
        QObject::connect(s, &session::Session::logAppended, &ctx,
                         [this, jobId](const QString &id, qint64 last, const model::LogLines &fresh) {
                             if (id != jobId)
                                 return;
                             lines += fresh;
                             EXPECT_EQ(fresh.isEmpty() ? 0 : fresh.last().seq, last);
                         });
        const auto index =
            await<session::LogIndex>([&](QObject *c, Reply<session::LogIndex> d) { s->logIndex(jobId, {}, c, d); });
        EXPECT_TRUE(index && index->ok());
        after = index && index->ok() ? index->value().lastSeq : -1;
    }
    // Every line after the index once, in seq order, as the server has it.
    void expectEveryLineOnce(const QStringList &expected) const
    {
        ASSERT_FALSE(lines.isEmpty());
        for (int i = 0; i < lines.size(); ++i) {
            ASSERT_EQ(lines.at(i).seq, after + 1 + i) << "announced in seq order, each once, none skipped";
            ASSERT_EQ(lines.at(i).message, expected.value(static_cast<int>(after + i)));
        }
        EXPECT_EQ(after + lines.size(), expected.size());
    }

    QObject ctx;
    qint64 after = 0;
    model::LogLines lines;
};

// The server's own log of a job, every line, by page.
QStringList serverLog(quint16 port, const QString &jobId)
{
    QStringList out;
    qint64 after = 0;
    for (;;) {
        const auto r = cdtest::getJson(
            port, "/api/jobs/" + jobId.toUtf8() + "/logs?limit=10000&after=" + QByteArray::number(after),
            cdtest::Headless::kToken);
        const QJsonArray lines = r.json().value(QStringLiteral("lines")).toArray();
        for (const auto &l : lines)
            out << l.toObject().value(QStringLiteral("message")).toString();
        if (lines.isEmpty() || !r.json().value(QStringLiteral("has_more")).toBool())
            return out;
        after = r.json().value(QStringLiteral("next_after")).toInteger();
    }
}

// A TCP proxy on loopback that holds every chunk, both ways, for `delayMs` before passing it on
// (a server behind a slow link), and can cut the link for a while.
class SlowProxy
{
public:
    SlowProxy(quint16 upstream, int delayMs) : m_upstream(upstream), m_delayMs(delayMs)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        m_port = m_server.serverPort();
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *in = m_server.nextPendingConnection())
                pair(in);
        });
    }
    quint16 port() const { return m_port; }
    // Drops every connection and refuses new ones for `ms`: a network that went away and came back.
    void cut(int ms)
    {
        m_server.close();
        for (const QPointer<QTcpSocket> &in : std::as_const(m_open))
            if (in) {
                for (QTcpSocket *out : in->findChildren<QTcpSocket *>())
                    out->abort();
                in->abort();
                in->deleteLater();
            }
        m_open.clear();
        QTimer::singleShot(ms, &m_server, [this] { m_server.listen(QHostAddress::LocalHost, m_port); });
    }

private:
    struct Pending
    {
        qint64 due;
        QByteArray data; // empty: close
    };
    void pair(QTcpSocket *in)
    {
        m_open.append(in);
        auto *out = new QTcpSocket(in);
        out->connectToHost(QHostAddress::LocalHost, m_upstream);
        relay(in, out);
        relay(out, in);
    }
    // Bytes read from `from` reach `to` delayMs later, in order; a close too.
    void relay(QTcpSocket *from, QTcpSocket *to)
    {
        auto queue = std::make_shared<QList<Pending>>();
        auto flush = [this, queue, to] {
            while (!queue->isEmpty() && queue->first().due <= m_clock.elapsed()) {
                const Pending p = queue->takeFirst();
                if (p.data.isEmpty())
                    to->disconnectFromHost();
                else
                    to->write(p.data);
            }
        };
        QObject::connect(from, &QTcpSocket::readyRead, to, [this, queue, from, to, flush] {
            queue->append(Pending{m_clock.elapsed() + m_delayMs, from->readAll()});
            QTimer::singleShot(m_delayMs, to, flush);
        });
        QObject::connect(from, &QTcpSocket::disconnected, to, [this, queue, to, flush] {
            queue->append(Pending{m_clock.elapsed() + m_delayMs, QByteArray()});
            QTimer::singleShot(m_delayMs, to, flush);
        });
    }

    QTcpServer m_server;
    quint16 m_port = 0;
    QList<QPointer<QTcpSocket>> m_open;
    quint16 m_upstream;
    int m_delayMs;
    QElapsedTimer m_clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
};

} // namespace

// The server is killed while a job logs and started again on the same port: the window's log model
// (under the model tester) ends with the server's log exactly, every line once and in order, and
// the session announced each line once, in seq order, with no gap across the restart.
TEST(RemoteSession, ServerRestartedMidStreamLosesAndRepeatsNoLine)
{
    QTemporaryDir dir;
    const quint16 port = freePort();
    auto srv = server(dir.path(), port, 4000, "0.002");
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    auto s = attach(port, dir.path() + QStringLiteral("/cache"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 10000));
    QList<ConnectionState> states;
    QObject ctx;
    QObject::connect(s.get(), &session::Session::connectionStateChanged, &ctx,
                     [&](ConnectionState st) { states << st; });

    const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(), c, d); });
    ASSERT_TRUE(job && job->ok()) << (job ? job->error().detail.toStdString() : "no answer");
    const QString id = job->value().id;
    const Announced announced(s.get(), id);
    ui::LogModel model(s.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setJob(id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded() && model.rowCount() >= 300; }, 20000));

    srv->kill();
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Reconnecting; }, 20000));
    const int rowsWhileAway = model.rowCount();
    cdtest::spin(800);
    srv->start();
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 30000));

    // The job was cut by the restart; the restarted server settles it and says so in its log.
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            const auto j = cdtest::getJson(port, "/api/jobs/" + id.toUtf8(), cdtest::Headless::kToken).json();
            return j.value(QStringLiteral("terminal")).toBool();
        },
        30000));
    const QStringList expected = serverLog(port, id);
    ASSERT_GT(expected.size(), rowsWhileAway);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == expected.size(); }, 20000))
        << model.rowCount() << " rows, the server has " << expected.size();
    for (int row = 0; row < model.rowCount(); ++row) {
        ASSERT_TRUE(cdtest::waitUntil([&] { return !model.index(row).data(ui::LogModel::PendingRole).toBool(); }))
            << row;
        ASSERT_EQ(model.index(row).data(ui::LogModel::SeqRole).toLongLong(), row + 1);
        ASSERT_EQ(model.index(row).data(ui::LogModel::MessageRole).toString(), expected.at(row)) << row;
    }
    announced.expectEveryLineOnce(expected);
    EXPECT_TRUE(states.contains(ConnectionState::Reconnecting));
    EXPECT_EQ(states.last(), ConnectionState::Connected);
    std::printf("[ figures  ] %d rows when the server went away, %lld lines in the end, %lld announced live\n",
                rowsWhileAway, static_cast<long long>(expected.size()), static_cast<long long>(announced.lines.size()));
}

// The link to a server that keeps logging is cut for a while: the session says it is reconnecting,
// resumes the log stream where it stopped, reads what was committed meanwhile, and announces every
// line once, in order; the log model ends equal to the server's log.
TEST(RemoteSession, NetworkDropResumesWithoutLosingOrRepeatingALine)
{
    QTemporaryDir dir;
    const quint16 port = freePort();
    auto srv = server(dir.path(), port, 3000, "0.002");
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    SlowProxy link(port, 0);
    auto s = attach(link.port(), dir.path() + QStringLiteral("/cache"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 10000));
    const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(), c, d); });
    ASSERT_TRUE(job && job->ok());
    const QString id = job->value().id;
    const Announced announced(s.get(), id);
    QObject ctx;
    bool finished = false;
    QObject::connect(s.get(), &session::Session::jobFinished, &ctx,
                     [&](const model::Job &j) { finished = finished || j.id == id; });
    ui::LogModel model(s.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setJob(id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded() && model.rowCount() >= 200; }, 20000));

    link.cut(1500);
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Reconnecting; }, 10000));
    const int rowsWhileAway = model.rowCount();
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 30000));
    // The job's end, which happened or happens after the cut, reaches the window either way.
    ASSERT_TRUE(cdtest::waitUntil([&] { return finished; }, 60000));
    const QStringList expected = serverLog(port, id);
    ASSERT_GT(expected.size(), rowsWhileAway + 100) << "lines were committed while the link was down";
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == expected.size(); }, 20000))
        << model.rowCount() << " rows, the server has " << expected.size();
    for (int row = 0; row < model.rowCount(); ++row) {
        ASSERT_TRUE(cdtest::waitUntil([&] { return !model.index(row).data(ui::LogModel::PendingRole).toBool(); }))
            << row;
        ASSERT_EQ(model.index(row).data(ui::LogModel::MessageRole).toString(), expected.at(row)) << row;
    }
    announced.expectEveryLineOnce(expected);
    std::printf("[ figures  ] link cut at %d rows for 1.5 s; %lld lines in the end, all announced once\n",
                rowsWhileAway, static_cast<long long>(expected.size()));
}

// The window attached to a remote server with live jobs, then while the server is away: rendered
// to PNG under <build>/tests/screens for a person to look at.
TEST(RemoteWindow, ScreensAttachedWithLiveJobsAndReconnecting)
{
    QTemporaryDir dir;
    const quint16 port = freePort();
    auto srv = server(dir.path(), port, 100000, "0.05");
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    auto s = attach(port, dir.path() + QStringLiteral("/cache"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 10000));
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(), c, d); });
        ASSERT_TRUE(job && job->ok());
        ids << job->value().id;
    }
    const auto cancelled = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->cancel(ids.first(), c, d); });
    ASSERT_TRUE(cancelled && cancelled->ok());

    const QString url = QStringLiteral("http://127.0.0.1:%1").arg(port);
    ui::MainWindow w(s.get());
    w.setAttachedTo(url);
    w.resize(1280, 820);
    w.show();
    EXPECT_TRUE(w.windowTitle().contains(url));
    w.selectJob(ids.last());
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.details()->console()->model()->rowCount() >= 20; }, 20000));
    cdtest::spin(1500);
    const QString shots = cdtest::screensDir();
    EXPECT_TRUE(w.grab().save(shots + QStringLiteral("/remote-live.png")));

    srv->kill();
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Reconnecting; }, 20000));
    cdtest::spin(300);
    EXPECT_TRUE(w.grab().save(shots + QStringLiteral("/remote-reconnecting.png")));
    // A slow or absent server leaves the window working: it still paints and answers.
    const int rows = w.details()->console()->model()->rowCount();
    EXPECT_GE(rows, 20);
}

// The window on a server behind a link that adds 500 ms each way: while jobs are created, the log
// fills, the user searches and filters, the event loop keeps beating (its 99th percentile gap
// between 4 ms ticks stays within a frame, 16 ms).
TEST(RemoteWindow, SlowServerNeverFreezesTheWindow)
{
    constexpr int kDelayMs = 500;
    QTemporaryDir dir;
    const quint16 port = freePort();
    auto srv = server(dir.path(), port, 2000, "0.001");
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    SlowProxy proxy(port, kDelayMs);
    auto s = attach(proxy.port(), dir.path() + QStringLiteral("/cache"));
    ui::MainWindow w(s.get());
    w.setAttachedTo(QStringLiteral("http://127.0.0.1:%1").arg(proxy.port()));
    w.resize(1100, 700);
    w.show();
    QAbstractItemModelTester t1(w.jobModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(w.details()->console()->model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t3(w.proxy(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t4(w.details()->artifactModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t5(w.details()->summaryModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);

    QElapsedTimer beat;
    beat.start();
    qint64 last = beat.elapsed();
    QList<qint64> gaps;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, &tick, [&] {
        const qint64 now = beat.elapsed();
        gaps << now - last;
        last = now;
    });
    tick.start(4);

    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Connected; }, 20000));
    const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(), c, d); });
    ASSERT_TRUE(job && job->ok());
    const QString id = job->value().id;
    w.selectJob(id);
    ui::LogModel *log = w.details()->console()->model();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            const auto j = cdtest::getJson(port, "/api/jobs/" + id.toUtf8(), cdtest::Headless::kToken).json();
            return j.value(QStringLiteral("terminal")).toBool() &&
                   log->rowCount() == j.value(QStringLiteral("log_count")).toInt();
        },
        60000))
        << log->rowCount();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] { return !log->index(log->rowCount() - 1).data(ui::LogModel::PendingRole).toBool(); }, 20000));
    ASSERT_EQ(cdtest::searched(
                  *w.details()->console(), [&] { w.details()->console()->find(QStringLiteral("tick 1000")); }, 20000),
              true);

    // A job's files and summary, through the same slow link; an artifact fetched to open it.
    const auto writer =
        await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(QStringLiteral("writer")), c, d); });
    ASSERT_TRUE(writer && writer->ok());
    w.selectJob(writer->value().id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.details()->artifactModel()->rowCount() == 2; }, 30000));
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.details()->summaryModel()->rowCount() >= 1; }, 30000));
    qint64 progressSeen = -1;
    QObject ctx;
    QObject::connect(s.get(), &session::Session::artifactFetchProgress, &ctx,
                     [&](const QString &, const QString &, qint64 received, qint64) { progressSeen = received; });
    const auto file = await<QString>(
        [&](QObject *c, Reply<QString> d) { s->fetchArtifact(writer->value().id, QStringLiteral("d/b.csv"), c, d); });
    ASSERT_TRUE(file && file->ok()) << (file ? file->error().detail.toStdString() : "no answer");
    EXPECT_TRUE(file->value().startsWith(dir.path() + QStringLiteral("/cache/")));
    QFile fetched(file->value());
    ASSERT_TRUE(fetched.open(QIODevice::ReadOnly));
    EXPECT_EQ(fetched.readAll(), QByteArray("bb\n"));
    EXPECT_EQ(progressSeen, 3);
    tick.stop();

    ASSERT_GT(gaps.size(), 200);
    std::sort(gaps.begin(), gaps.end());
    const qint64 p99 = gaps.at(static_cast<int>(gaps.size() * 99 / 100));
    std::printf("[ figures  ] server behind %d ms each way: %lld event-loop ticks, p50 %lld ms, p99 %lld ms, "
                "longest %lld ms\n",
                kDelayMs, static_cast<long long>(gaps.size()), static_cast<long long>(gaps.at(gaps.size() / 2)),
                static_cast<long long>(p99), static_cast<long long>(gaps.last()));
    EXPECT_LE(p99, 16);
}

// `crawldeck --connect URL`: the window attaches to the server (it follows the newest job's log
// there) and starts no service of its own: no listener, no data directory, no lock. A URL that is
// no http(s) server URL is refused before any window opens.
TEST(RemoteWindow, ConnectAttachesWithoutAServiceOfItsOwn)
{
    QTemporaryDir dir;
    const quint16 port = freePort();
    auto srv = server(dir.path() + QStringLiteral("/server"), port, 100000, "0.05");
    ASSERT_EQ(srv->port(), port) << srv->stderrText().toStdString();
    const auto created =
        cdtest::postJson(port, "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("ticker")}},
                         cdtest::Headless::kToken);
    ASSERT_EQ(created.status, 201) << created.body.toStdString();
    auto streams = [&] { return cdtest::getJson(port, "/health").json().value(QStringLiteral("streams")).toInt(); };
    ASSERT_EQ(streams(), 0);

    const QString home = dir.path() + QStringLiteral("/home");
    QDir().mkpath(home);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    for (const char *xdg :
         {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CRAWLDECK_DATA_DIR", "CRAWLDECK_URL"})
        env.remove(QString::fromLatin1(xdg));
    env.insert(QStringLiteral("CRAWLDECK_API_TOKEN"), QString::fromLatin1(cdtest::Headless::kToken));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    QProcess window;
    window.setProcessEnvironment(env);
    window.start(QStringLiteral(CRAWLDECK_BINARY),
                 {QStringLiteral("--connect"), QStringLiteral("http://127.0.0.1:%1").arg(port)});
    ASSERT_TRUE(window.waitForStarted());
    const bool attached = cdtest::waitUntil([&] { return streams() >= 1; }, 20000);
    const bool running = window.state() == QProcess::Running;
    window.terminate();
    window.waitForFinished(10000);
    const QByteArray out = window.readAllStandardOutput() + window.readAllStandardError();
    EXPECT_TRUE(attached) << out.toStdString();
    EXPECT_TRUE(running) << out.toStdString();
    EXPECT_FALSE(out.contains("listening on")) << out.toStdString();
    // Nothing of a service under the home directory: no data directory, database or lock.
    QStringList found;
    for (QDirIterator it(home, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories); it.hasNext();) {
        const QString f = it.next();
        if (f.endsWith(QStringLiteral("crawldeck.lock")) || f.endsWith(QStringLiteral(".db")))
            found << f;
    }
    EXPECT_TRUE(found.isEmpty()) << found.join(u' ').toStdString();

    QProcess bad;
    bad.setProcessEnvironment(env);
    bad.start(QStringLiteral(CRAWLDECK_BINARY), {QStringLiteral("--connect"), QStringLiteral("ftp://127.0.0.1/")});
    ASSERT_TRUE(bad.waitForFinished(10000));
    EXPECT_EQ(bad.exitCode(), 2);
    EXPECT_TRUE(bad.readAllStandardError().contains("--connect expects an http(s) server URL"));
}

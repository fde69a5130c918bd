// The window attached to a remote server: a real `crawldeck --headless` child process, restarted
// under a live log, and the window rendered while it is up and while it is away.
#include "headless.h"
#include "jobdetailspane.h"
#include "jobtablemodel.h"
#include "logconsole.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "session/remotesession.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QJsonArray>
#include <QTcpServer>

#include <gtest/gtest.h>

using namespace cd;
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
    auto h = std::make_unique<cdtest::Headless>(dir, QStringList{QStringLiteral("--listen"),
                                                                 QStringLiteral("127.0.0.1:%1").arg(port),
                                                                 QStringLiteral("--local-profile"), ticker});
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

model::JobSpec ticker()
{
    model::JobSpec spec;
    spec.params.insert(QStringLiteral("profile"), QStringLiteral("ticker"));
    return spec;
}

template<typename T> std::optional<Result<T>> await(const std::function<void(QObject *, Reply<T>)> &call)
{
    QObject context;
    std::optional<Result<T>> answer;
    call(&context, [&answer](Result<T> r) { answer = std::move(r); });
    cdtest::waitUntil([&] { return answer.has_value(); }, 20000);
    return answer;
}

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
    QList<qint64> announced;
    QObject ctx;
    QObject::connect(s.get(), &session::Session::connectionStateChanged, &ctx,
                     [&](ConnectionState st) { states << st; });

    const auto job = await<model::Job>([&](QObject *c, Reply<model::Job> d) { s->create(ticker(), c, d); });
    ASSERT_TRUE(job && job->ok()) << (job ? job->error().detail.toStdString() : "no answer");
    const QString id = job->value().id;
    QObject::connect(s.get(), &session::Session::logAppended, &ctx,
                     [&](const QString &jobId, qint64 last, const model::LogLines &lines) {
                         if (jobId != id)
                             return;
                         for (const auto &l : lines)
                             announced << l.seq;
                         EXPECT_EQ(lines.isEmpty() ? 0 : lines.last().seq, last);
                     });
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
    ASSERT_FALSE(announced.isEmpty());
    for (int i = 1; i < announced.size(); ++i)
        ASSERT_EQ(announced.at(i), announced.at(i - 1) + 1) << "announced in seq order, each once";
    EXPECT_EQ(announced.last(), expected.size());
    EXPECT_TRUE(states.contains(ConnectionState::Reconnecting));
    EXPECT_EQ(states.last(), ConnectionState::Connected);
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
    const QString shots = QCoreApplication::applicationDirPath() + QStringLiteral("/screens");
    QDir().mkpath(shots);
    EXPECT_TRUE(w.grab().save(shots + QStringLiteral("/remote-live.png")));

    srv->kill();
    ASSERT_TRUE(cdtest::waitUntil([&] { return s->connectionState() == ConnectionState::Reconnecting; }, 20000));
    cdtest::spin(300);
    EXPECT_TRUE(w.grab().save(shots + QStringLiteral("/remote-reconnecting.png")));
    // A slow or absent server leaves the window working: it still paints and answers.
    const int rows = w.details()->console()->model()->rowCount();
    EXPECT_GE(rows, 20);
}

// Result downloads on /api/events: a slow download's progress at most four times a second, its
// end at once, each as `event: job` with type `result_download`.
#include "artifacts/resultcollector.h"
#include "stack.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;

namespace {

// Serves one file of kChunks × 1 KiB, a chunk every kEveryMs: a download that takes ~1.5 s and
// reports progress on every chunk.
class SlowFile : public QObject
{
public:
    static constexpr int kChunks = 150;
    static constexpr int kEveryMs = 10;

    SlowFile()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *s = m_server.nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, s, [this, s] {
                if (!s->readAll().contains("\r\n\r\n") || s->property("serving").toBool())
                    return;
                s->setProperty("serving", true);
                s->write("HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: " +
                         QByteArray::number(kChunks * 1024) + "\r\nConnection: close\r\n\r\n");
                auto *t = new QTimer(s);
                t->setInterval(kEveryMs);
                connect(t, &QTimer::timeout, s, [s, t, sent = 0]() mutable {
                    s->write(QByteArray(1024, 'x'));
                    if (++sent == kChunks) {
                        t->stop();
                        s->disconnectFromHost();
                    }
                });
                t->start();
            });
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/result.csv").arg(m_server.serverPort()); }

private:
    QTcpServer m_server;
};

} // namespace

TEST(EventsDownload, ProgressIsThrottledToFourASecondAndTheEndComesAtOnce)
{
    Stack st;
    SlowFile file;
    const QString id = st.jobs->insert(model::JobSpec{})->id;
    cdtest::SseClient events(st.port(), "/api/events", {{"Authorization", "Bearer " + Stack::kToken}});
    ASSERT_EQ(events.status(), 200);
    int signalled = 0;
    QObject context;
    QObject::connect(st.results.get(), &artifacts::ResultCollector::downloadProgress, &context, [&] { ++signalled; });
    std::optional<artifacts::CollectReport> report;
    QElapsedTimer took;
    took.start();
    QCoro::connect(st.results->collect(id, QJsonObject{{QStringLiteral("result_url"), file.url()}}), &context,
                   [&](const artifacts::CollectReport &r) { report = r; });
    ASSERT_TRUE(cdtest::waitUntil([&] { return report.has_value(); }, 20000));
    const double seconds = took.elapsed() / 1000.0;
    ASSERT_TRUE(report->saved.contains(QStringLiteral("result.csv"))) << report->failed.join(u',').toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] {
        for (const auto &e : events.events())
            if (QJsonDocument::fromJson(e.data).object().value(QStringLiteral("done")).toBool())
                return true;
        return false;
    }));

    int progress = 0;
    qint64 lastReceived = -1;
    QJsonObject end;
    for (const auto &e : events.events()) {
        const QJsonObject o = QJsonDocument::fromJson(e.data).object();
        if (e.event != "job" || o.value(QStringLiteral("type")).toString() != u"result_download")
            continue;
        EXPECT_EQ(o.value(QStringLiteral("job_id")).toString(), id);
        EXPECT_EQ(o.value(QStringLiteral("name")).toString(), QStringLiteral("result.csv"));
        EXPECT_TRUE(end.isEmpty()) << "an event after the end";
        if (o.value(QStringLiteral("done")).toBool()) {
            end = o;
            continue;
        }
        ++progress;
        EXPECT_GE(o.value(QStringLiteral("received")).toInteger(), lastReceived);
        lastReceived = o.value(QStringLiteral("received")).toInteger();
    }
    std::cout << "[ download ] " << signalled << " progress signals in " << seconds << " s, " << progress
              << " progress events\n";
    // The collector itself reports ~10 times a second: more often than the stream may carry.
    EXPECT_GT(signalled, progress + 4) << "the download reported too rarely to need throttling: nothing was tested";
    EXPECT_GE(progress, 2);
    EXPECT_LE(progress, static_cast<int>(seconds * 4) + 2);
    EXPECT_TRUE(end.value(QStringLiteral("ok")).toBool());
}

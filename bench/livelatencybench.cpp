// Live delivery latency of the real `crawldeck --headless`: one client posts a log line, an SSE
// client receives it; lines reach SSE only after their commit (the change feed), so this is the
// cost of durable-first delivery. With --database postgresql://... and --nodes 2, the line is posted
// to node A and read on node B (NOTIFY between them). Prints one JSON object.
#include "benchclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("server"), QStringLiteral("crawldeck binary"), QStringLiteral("path"),
          QStringLiteral(CRAWLDECK_BINARY)},
         {QStringLiteral("database"), QStringLiteral("database URL (default: SQLite in the data dir)"),
          QStringLiteral("url")},
         {QStringLiteral("nodes"), QStringLiteral("1: post and read on one node; 2: post on A, read on B"),
          QStringLiteral("n"), QStringLiteral("1")},
         {QStringLiteral("lines"), QStringLiteral("lines to time"), QStringLiteral("n"), QStringLiteral("2000")}});
    p.process(app);
    const int total = p.value(QStringLiteral("lines")).toInt();
    const bool twoNodes = p.value(QStringLiteral("nodes")).toInt() == 2;
    const QString database = p.value(QStringLiteral("database"));
    if (twoNodes && database.isEmpty()) {
        std::fprintf(stderr, "--nodes 2 needs --database postgresql://...\n");
        return 2;
    }

    cdbench::HeadlessServer a;
    cdbench::HeadlessServer b;
    if (!a.start(p.value(QStringLiteral("server")), database) ||
        (twoNodes && !b.start(p.value(QStringLiteral("server")), database))) {
        std::fprintf(stderr, "server did not start\n");
        return 1;
    }
    const quint16 readPort = twoNodes ? b.port() : a.port();

    const QJsonObject created =
        QJsonDocument::fromJson(
            cdbench::blockingRequest(a.port(), cdbench::post("/api/jobs", R"({"profile":"idle"})", "bench")))
            .object();
    const QByteArray jobId = created.value(QStringLiteral("id")).toString().toUtf8();
    const QUrl callback(created.value(QStringLiteral("callback_url")).toString());
    const QByteArray logPath = (callback.path() + (callback.hasQuery() ? u'?' + callback.query() : QString())).toUtf8();

    // The SSE reader.
    QTcpSocket sse;
    sse.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    sse.connectToHost(QStringLiteral("127.0.0.1"), readPort);
    sse.waitForConnected(5000);
    sse.write("GET /api/crawler/logs/" + jobId +
              " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer bench\r\n\r\n");

    // The poster: one keep-alive connection, the next line once the previous one arrived on SSE.
    QTcpSocket poster;
    poster.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    poster.connectToHost(QStringLiteral("127.0.0.1"), a.port());
    poster.waitForConnected(5000);
    QObject::connect(&poster, &QTcpSocket::readyRead, &poster, [&poster] { poster.readAll(); });

    QElapsedTimer clock;
    clock.start();
    std::vector<qint64> latenciesUs;
    int sent = 0;
    qint64 sentAt = 0;
    QByteArray sseBuf;
    auto sendNext = [&] {
        const QByteArray body = "{\"job_id\":\"" + jobId + "\",\"message\":\"probe " + QByteArray::number(sent) + "\"}";
        sentAt = clock.nsecsElapsed() / 1000;
        poster.write(cdbench::post(logPath, body));
        ++sent;
    };
    QObject::connect(&sse, &QTcpSocket::readyRead, &sse, [&] {
        sseBuf += sse.readAll();
        const QByteArray want = "data: probe " + QByteArray::number(sent - 1) + "\n";
        const qsizetype at = sseBuf.indexOf(want);
        if (sent == 0 || at < 0)
            return;
        latenciesUs.push_back(clock.nsecsElapsed() / 1000 - sentAt);
        sseBuf.remove(0, at + want.size());
        if (sent < total)
            QTimer::singleShot(1, &app, sendNext); // not back to back: a live log, not a flood
        else
            app.quit();
    });
    // Start once the stream is open (its first status event).
    QTimer::singleShot(500, &app, sendNext);
    QTimer::singleShot(120000, &app, &QCoreApplication::quit);
    app.exec();

    std::sort(latenciesUs.begin(), latenciesUs.end());
    auto pct = [&](double q) {
        return latenciesUs.empty()
                   ? 0.0
                   : latenciesUs[static_cast<size_t>(q * static_cast<double>(latenciesUs.size() - 1))] / 1000.0;
    };
    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("live_delivery_after_commit")},
        {QStringLiteral("database"), database.isEmpty() ? QStringLiteral("sqlite") : QStringLiteral("postgresql")},
        {QStringLiteral("nodes"), twoNodes ? 2 : 1},
        {QStringLiteral("lines"), static_cast<qint64>(latenciesUs.size())},
        {QStringLiteral("p50_ms"), pct(0.50)},
        {QStringLiteral("p99_ms"), pct(0.99)},
        {QStringLiteral("max_ms"), pct(1.0)},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return static_cast<int>(latenciesUs.size()) == total ? 0 : 1;
}

// SSE fan-out of the real `crawldeck --headless`: S subscribers follow one job's log while one
// keep-alive client posts N lines (in requests of B lines, each sent once the previous one was
// answered, i.e. committed). Every subscriber must get every line, once, in order. Deliveries/s =
// S x N over the time from the first post to the last line arriving anywhere. One JSON object.
#include "benchclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

#include <cstdio>
#include <memory>
#include <vector>

namespace {

struct Subscriber
{
    std::unique_ptr<QTcpSocket> socket;
    QByteArray pending; // an incomplete last line
    bool open = false;  // the stream's first status event arrived
    int next = 0;       // the line number expected next
    int received = 0;
    int outOfOrder = 0; // lines that were not the one expected (a gap, a repeat or a swap)
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("server"), QStringLiteral("crawldeck binary"), QStringLiteral("path"),
          QStringLiteral(CRAWLDECK_BINARY)},
         {QStringLiteral("subscribers"), QStringLiteral("SSE clients"), QStringLiteral("n"), QStringLiteral("50")},
         {QStringLiteral("lines"), QStringLiteral("lines posted"), QStringLiteral("n"), QStringLiteral("1000")},
         {QStringLiteral("batch"), QStringLiteral("lines per POST"), QStringLiteral("n"), QStringLiteral("10")},
         {QStringLiteral("timeout"), QStringLiteral("give up after s seconds"), QStringLiteral("s"),
          QStringLiteral("60")}});
    p.process(app);
    const int subscribers = p.value(QStringLiteral("subscribers")).toInt();
    const int total = p.value(QStringLiteral("lines")).toInt();
    const int batch = qMax(1, p.value(QStringLiteral("batch")).toInt());

    cdbench::HeadlessServer server;
    if (!server.start(p.value(QStringLiteral("server")))) {
        std::fprintf(stderr, "server did not start\n");
        return 1;
    }
    const QJsonObject created =
        QJsonDocument::fromJson(
            cdbench::blockingRequest(server.port(), cdbench::post("/api/jobs", R"({"profile":"idle"})", "bench")))
            .object();
    const QByteArray jobId = created.value(QStringLiteral("id")).toString().toUtf8();
    const QUrl callback(created.value(QStringLiteral("callback_url")).toString());
    const QByteArray logPath = (callback.path() + u'?' + callback.query()).toUtf8();
    if (jobId.isEmpty() || !callback.hasQuery()) {
        std::fprintf(stderr, "could not create a job\n");
        return 1;
    }

    QElapsedTimer clock;
    clock.start();
    qint64 firstPostNs = 0;
    qint64 lastDeliveryNs = 0;
    qint64 postsDoneNs = 0;
    int opened = 0;
    int complete = 0;
    int postErrors = 0;
    int sent = 0;

    QTcpSocket poster;
    poster.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QByteArray posterBuf;
    auto sendNext = [&] {
        if (sent >= total) {
            postsDoneNs = clock.nsecsElapsed();
            if (complete == subscribers)
                app.quit();
            return;
        }
        QByteArray body = "{\"job_id\":\"" + jobId + "\",\"messages\":[";
        for (int i = 0; i < batch && sent < total; ++i, ++sent)
            body += QByteArray(i ? "," : "") + "\"fan " + QByteArray::number(sent) + "\"";
        poster.write(cdbench::post(logPath, body + "]}"));
    };
    QObject::connect(&poster, &QTcpSocket::readyRead, &poster, [&] {
        posterBuf += poster.readAll();
        for (;;) {
            const qsizetype end = posterBuf.indexOf("\r\n\r\n");
            const qsizetype cl = posterBuf.indexOf("Content-Length: ");
            if (end < 0 || cl < 0 || cl > end)
                return;
            const qsizetype len =
                end + 4 + posterBuf.mid(cl + 16, posterBuf.indexOf("\r\n", cl) - cl - 16).toLongLong();
            if (posterBuf.size() < len)
                return;
            if (!posterBuf.startsWith("HTTP/1.1 200"))
                ++postErrors;
            posterBuf.remove(0, len);
            sendNext();
        }
    });

    std::vector<Subscriber> subs(static_cast<size_t>(subscribers));
    const QByteArray get =
        "GET /api/crawler/logs/" + jobId +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer bench\r\n\r\n";
    for (Subscriber &sub : subs) {
        sub.socket = std::make_unique<QTcpSocket>();
        QTcpSocket *s = sub.socket.get();
        Subscriber *sp = &sub;
        QObject::connect(s, &QTcpSocket::connected, s, [s, &get] { s->write(get); });
        QObject::connect(s, &QTcpSocket::readyRead, s, [&, s, sp] {
            sp->pending += s->readAll();
            const qsizetype lastNl = sp->pending.lastIndexOf('\n');
            if (lastNl < 0)
                return;
            const QByteArray whole = sp->pending.left(lastNl);
            sp->pending.remove(0, lastNl + 1);
            for (const QByteArray &line : whole.split('\n')) {
                if (!sp->open && line.startsWith("event: status")) {
                    sp->open = true;
                    if (++opened == subscribers) {
                        firstPostNs = clock.nsecsElapsed();
                        poster.connectToHost(QStringLiteral("127.0.0.1"), server.port());
                    }
                }
                if (!line.startsWith("data: fan "))
                    continue;
                const int n = line.mid(10).toInt();
                ++sp->received;
                if (n != sp->next)
                    ++sp->outOfOrder;
                sp->next = n + 1;
                lastDeliveryNs = clock.nsecsElapsed();
                if (sp->received == total && ++complete == subscribers && postsDoneNs)
                    app.quit();
            }
        });
        s->connectToHost(QStringLiteral("127.0.0.1"), server.port());
    }
    QObject::connect(&poster, &QTcpSocket::connected, &poster, sendNext);
    QTimer::singleShot(p.value(QStringLiteral("timeout")).toInt() * 1000, &app, &QCoreApplication::quit);
    app.exec();

    qint64 delivered = 0;
    qint64 outOfOrder = 0;
    for (const Subscriber &sub : subs) {
        delivered += sub.received;
        outOfOrder += sub.outOfOrder;
    }
    const qint64 expected = static_cast<qint64>(subscribers) * total;
    const double secs = static_cast<double>(lastDeliveryNs - firstPostNs) / 1e9;
    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("sse_fanout")},
        {QStringLiteral("subscribers"), subscribers},
        {QStringLiteral("subscribers_open"), opened},
        {QStringLiteral("lines"), total},
        {QStringLiteral("lines_per_post"), batch},
        {QStringLiteral("post_errors"), postErrors},
        {QStringLiteral("post_seconds"), postsDoneNs ? static_cast<double>(postsDoneNs - firstPostNs) / 1e9 : -1.0},
        {QStringLiteral("deliveries"), delivered},
        {QStringLiteral("lost"), expected - delivered},
        {QStringLiteral("out_of_order"), outOfOrder},
        {QStringLiteral("seconds"), secs},
        {QStringLiteral("deliveries_per_s"), secs > 0 ? static_cast<double>(delivered) / secs : 0.0},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return delivered == expected && outOfOrder == 0 && postErrors == 0 ? 0 : 1;
}

// Log-callback throughput of the real `crawldeck --headless` over loopback: N keep-alive
// connections each POST /api/crawler/log in a loop for a fixed time. Every 200 means the line is
// committed. Prints one JSON object per run.
#include "benchclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

struct Conn
{
    std::unique_ptr<QTcpSocket> socket;
    QByteArray buf;
    qint64 sentAt = 0;
};

// Returns the length of one complete response at the start of buf, or 0.
qsizetype responseLength(const QByteArray &buf, int *status)
{
    const qsizetype end = buf.indexOf("\r\n\r\n");
    if (end < 0)
        return 0;
    const qsizetype cl = buf.indexOf("Content-Length: ");
    const qsizetype len = cl >= 0 && cl < end ? buf.mid(cl + 16, buf.indexOf("\r\n", cl) - cl - 16).toLongLong() : 0;
    if (buf.size() < end + 4 + len)
        return 0;
    *status = buf.mid(9, 3).toInt();
    return end + 4 + len;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.addOptions(
        {{QStringLiteral("server"), QStringLiteral("crawldeck binary"), QStringLiteral("path"),
          QStringLiteral(CRAWLDECK_BINARY)},
         {QStringLiteral("connections"), QStringLiteral("concurrent connections"), QStringLiteral("n"),
          QStringLiteral("64")},
         {QStringLiteral("seconds"), QStringLiteral("duration"), QStringLiteral("s"), QStringLiteral("5")},
         {QStringLiteral("lines"), QStringLiteral("lines per request"), QStringLiteral("n"), QStringLiteral("1")},
         {QStringLiteral("database"), QStringLiteral("database URL (default: SQLite in the data dir)"),
          QStringLiteral("url")}});
    p.process(app);
    const int connections = p.value(QStringLiteral("connections")).toInt();
    const int seconds = p.value(QStringLiteral("seconds")).toInt();
    const int linesPerRequest = qMax(1, p.value(QStringLiteral("lines")).toInt());

    QTemporaryDir dir;
    QProcess server;
    server.setProcessChannelMode(QProcess::SeparateChannels);
    QStringList args{QStringLiteral("--headless"), QStringLiteral("--data-dir"),      dir.path(),
                     QStringLiteral("--listen"),   QStringLiteral("127.0.0.1:0"),     QStringLiteral("--api-token"),
                     QStringLiteral("bench"),      QStringLiteral("--local-profile"), QStringLiteral("idle=sleep 600")};
    if (p.isSet(QStringLiteral("database")))
        args << QStringLiteral("--database") << p.value(QStringLiteral("database"));
    server.start(p.value(QStringLiteral("server")), args);
    if (!server.waitForReadyRead(10000)) {
        std::fprintf(stderr, "server did not start\n");
        return 1;
    }
    const auto m =
        QRegularExpression(QStringLiteral(R"(:(\d+)\n)")).match(QString::fromUtf8(server.readAllStandardOutput()));
    const quint16 port = static_cast<quint16>(m.captured(1).toUInt());

    const QByteArray created =
        cdbench::blockingRequest(port, cdbench::post("/api/jobs", R"({"profile":"idle"})", "bench"));
    const QByteArray jobId = QJsonDocument::fromJson(created).object().value(QStringLiteral("id")).toString().toUtf8();
    QByteArray body = "{\"job_id\":\"" + jobId + "\",\"messages\":[";
    for (int i = 0; i < linesPerRequest; ++i)
        body += QByteArray(i ? "," : "") + "\"[INFO] Progress: 42% - bench line with some realistic length to it\"";
    body += "]}";
    const QByteArray request = cdbench::post("/api/crawler/log", body, "bench");

    std::vector<qint64> latenciesUs;
    latenciesUs.reserve(1 << 20);
    qint64 errors = 0;
    QElapsedTimer clock;
    clock.start();
    bool running = true;
    std::vector<Conn> conns(static_cast<size_t>(connections));
    for (Conn &c : conns) {
        c.socket = std::make_unique<QTcpSocket>();
        c.socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        QTcpSocket *s = c.socket.get();
        Conn *cp = &c;
        QObject::connect(s, &QTcpSocket::connected, s, [s, cp, &request, &clock] {
            cp->sentAt = clock.nsecsElapsed() / 1000;
            s->write(request);
        });
        QObject::connect(s, &QTcpSocket::readyRead, s, [s, cp, &request, &clock, &latenciesUs, &errors, &running] {
            cp->buf += s->readAll();
            int status = 0;
            while (const qsizetype n = responseLength(cp->buf, &status)) {
                cp->buf.remove(0, n);
                const qint64 now = clock.nsecsElapsed() / 1000;
                latenciesUs.push_back(now - cp->sentAt);
                if (status != 200)
                    ++errors;
                if (running) {
                    cp->sentAt = now;
                    s->write(request);
                }
            }
        });
        s->connectToHost(QStringLiteral("127.0.0.1"), port);
    }
    QTimer::singleShot(seconds * 1000, &app, [&] {
        running = false;
        QTimer::singleShot(500, &app, &QCoreApplication::quit);
    });
    app.exec();
    const double elapsed = seconds;
    conns.clear();

    const QByteArray job = cdbench::blockingRequest(
        port, "GET /api/jobs/" + jobId + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bench\r\n\r\n");
    const qint64 logCount = QJsonDocument::fromJson(job).object().value(QStringLiteral("log_count")).toInteger();
    ::kill(static_cast<pid_t>(server.processId()), SIGTERM);
    server.waitForFinished(5000);

    std::sort(latenciesUs.begin(), latenciesUs.end());
    auto pct = [&](double q) {
        return latenciesUs.empty()
                   ? 0.0
                   : latenciesUs[static_cast<size_t>(q * static_cast<double>(latenciesUs.size() - 1))] / 1000.0;
    };
    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("log_callback_http")},
        {QStringLiteral("database"),
         p.isSet(QStringLiteral("database")) ? QStringLiteral("postgresql") : QStringLiteral("sqlite")},
        {QStringLiteral("connections"), connections},
        {QStringLiteral("lines_per_request"), linesPerRequest},
        {QStringLiteral("seconds"), elapsed},
        {QStringLiteral("requests"), static_cast<qint64>(latenciesUs.size())},
        {QStringLiteral("errors"), errors},
        {QStringLiteral("req_per_s"), static_cast<double>(latenciesUs.size()) / elapsed},
        {QStringLiteral("lines_per_s"), static_cast<double>(latenciesUs.size()) * linesPerRequest / elapsed},
        {QStringLiteral("p50_ms"), pct(0.50)},
        {QStringLiteral("p99_ms"), pct(0.99)},
        {QStringLiteral("max_ms"), pct(1.0)},
        {QStringLiteral("lines_committed"), logCount},
        {QStringLiteral("server_exit_code"), server.exitCode()},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return errors == 0 ? 0 : 1;
}

#include "benchclient.h"

#include <QRegularExpression>
#include <QTcpSocket>

#include <csignal>

namespace cdbench {

QByteArray post(const QByteArray &path, const QByteArray &body, const QByteArray &token)
{
    QByteArray r = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    if (!token.isEmpty())
        r += "Authorization: Bearer " + token + "\r\n";
    return r + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray blockingRequest(quint16 port, const QByteArray &request)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    s.waitForConnected(5000);
    s.write(request);
    QByteArray buf;
    while (s.waitForReadyRead(5000)) {
        buf += s.readAll();
        const qsizetype end = buf.indexOf("\r\n\r\n");
        const qsizetype cl = buf.indexOf("Content-Length: ");
        if (end > 0 && cl > 0 && cl < end &&
            buf.size() >= end + 4 + buf.mid(cl + 16, buf.indexOf("\r\n", cl) - cl - 16).toLongLong())
            break;
    }
    return buf.mid(buf.indexOf("\r\n\r\n") + 4);
}

bool HeadlessServer::start(const QString &binary, const QString &database)
{
    QStringList args{QStringLiteral("--headless"), QStringLiteral("--data-dir"),      m_dir.path(),
                     QStringLiteral("--listen"),   QStringLiteral("127.0.0.1:0"),     QStringLiteral("--api-token"),
                     QStringLiteral("bench"),      QStringLiteral("--local-profile"), QStringLiteral("idle=sleep 600")};
    if (!database.isEmpty())
        args << QStringLiteral("--database") << database;
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(binary, args);
    QByteArray out;
    // The ready line may follow the first-run token line: read until it is there.
    const QRegularExpression ready(QStringLiteral(R"(listening on http://[^\s]+:(\d+)\n)"));
    while (m_process.waitForReadyRead(15000)) {
        out += m_process.readAllStandardOutput();
        const auto m = ready.match(QString::fromUtf8(out));
        if (m.hasMatch()) {
            m_port = static_cast<quint16>(m.captured(1).toUInt());
            return m_port != 0;
        }
    }
    return false;
}

HeadlessServer::~HeadlessServer()
{
    if (m_process.state() != QProcess::NotRunning) {
        ::kill(static_cast<pid_t>(m_process.processId()), SIGTERM);
        m_process.waitForFinished(5000);
    }
}

} // namespace cdbench

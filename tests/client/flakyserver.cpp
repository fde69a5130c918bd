#include "flakyserver.h"

#include <QPointer>

namespace cdtest {

FlakyServer::FlakyServer(Handler respond) : m_respond(std::move(respond))
{
    listen(QHostAddress::LocalHost, 0);
    connect(this, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *s = nextPendingConnection()) {
            auto *buffer = new QByteArray;
            connect(s, &QObject::destroyed, this, [buffer] { delete buffer; });
            connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            connect(s, &QTcpSocket::readyRead, this, [this, s, buffer] {
                *buffer += s->readAll();
                for (;;) {
                    const qsizetype end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    const qsizetype length = header(buffer->left(end + 4), "content-length").toLongLong();
                    if (buffer->size() < end + 4 + length)
                        return;
                    const QByteArray request = buffer->left(end + 4 + length);
                    buffer->remove(0, end + 4 + length);
                    m_requests.append(request);
                    const QPointer<QTcpSocket> alive(s);
                    m_respond(s, request, static_cast<int>(m_requests.size()) - 1);
                    if (!alive || s->state() != QAbstractSocket::ConnectedState)
                        return;
                }
            });
        }
    });
}

QByteArray FlakyServer::answer(int status, const QByteArray &body, const QByteArray &extraHeaders,
                               const QByteArray &apiVersion)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\n";
    if (!apiVersion.isEmpty())
        out += "Crawldeck-Api-Version: " + apiVersion + "\r\n";
    return out + extraHeaders + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray FlakyServer::header(const QByteArray &request, const QByteArray &name)
{
    for (const QByteArray &line : request.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == name.toLower())
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

} // namespace cdtest

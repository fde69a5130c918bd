#include "guardedtcpserver.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace cd::http {

namespace {
const char *kStreamingProperty = "cd_streaming";

// Per-socket view of the request framing, just enough to find each request's headers and skip
// its body.
struct Framing
{
    QByteArray headerBuf;
    qint64 bodyRemaining = 0;
    bool chunked = false;
    qint64 chunkedSeen = 0;
};

std::optional<qint64> contentLength(const QByteArray &headers, bool *chunked)
{
    *chunked = false;
    std::optional<qint64> len;
    for (const QByteArray &line : headers.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length")
            len = value.toLongLong();
        else if (name == "transfer-encoding" && value.toLower().contains("chunked"))
            *chunked = true;
    }
    return len;
}
} // namespace

GuardedTcpServer::GuardedTcpServer(GuardLimits limits, QObject *parent) : QTcpServer(parent), m_limits(limits) {}

void GuardedTcpServer::markStreaming(QTcpSocket *socket)
{
    if (socket)
        socket->setProperty(kStreamingProperty, true);
}

void GuardedTcpServer::refuse(QTcpSocket *socket, int status, const char *reason, const QByteArray &detail)
{
    const QByteArray body = "{\"error\":\"" + QByteArray(reason) + "\",\"detail\":\"" + detail + "\"}";
    QByteArray resp = "HTTP/1.1 " + QByteArray::number(status) + ' ' + QByteArray(reason).replace('_', ' ')
                      + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
                      + "\r\nConnection: close\r\n\r\n" + body;
    // Detach QHttpServer first so it never parses the rest of this request.
    socket->blockSignals(true);
    socket->write(resp);
    socket->flush();
    socket->blockSignals(false);
    socket->disconnectFromHost();
}

void GuardedTcpServer::incomingConnection(qintptr handle)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    if (m_open >= m_limits.maxConnections) {
        ++m_rejected;
        refuse(socket, 503, "service_unavailable", "too many connections");
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        return;
    }
    ++m_open;
    connect(socket, &QObject::destroyed, this, [this] { --m_open; });
    watch(socket);
    addPendingConnection(socket);
}

void GuardedTcpServer::watch(QTcpSocket *socket)
{
    auto framing = std::make_shared<Framing>();
    auto *deadline = new QTimer(socket);
    deadline->setSingleShot(true);
    auto *idle = new QTimer(socket);
    idle->setSingleShot(true);
    const QPointer<QTcpSocket> guard(socket);
    const GuardLimits limits = m_limits;

    connect(deadline, &QTimer::timeout, socket, [this, guard] {
        if (!guard)
            return;
        ++m_rejected;
        refuse(guard, 408, "request_timeout", "the request headers did not arrive in time");
    });
    connect(idle, &QTimer::timeout, socket, [guard] {
        if (guard && !guard->property(kStreamingProperty).toBool())
            guard->disconnectFromHost();
    });
    idle->start(limits.idleTimeoutMs);
    connect(socket, &QTcpSocket::bytesWritten, idle, [idle, limits] { idle->start(limits.idleTimeoutMs); });

    // Connected before QHttpServer's own readyRead slot, so this sees the bytes first (peek only).
    connect(socket, &QTcpSocket::readyRead, socket, [this, guard, framing, deadline, idle, limits] {
        if (!guard)
            return;
        idle->start(limits.idleTimeoutMs);
        const QByteArray data = guard->peek(guard->bytesAvailable());
        qsizetype pos = 0;
        while (pos < data.size()) {
            if (framing->bodyRemaining > 0) {
                const qint64 take = qMin<qint64>(framing->bodyRemaining, data.size() - pos);
                framing->bodyRemaining -= take;
                pos += take;
                continue;
            }
            if (framing->chunked) {
                // Chunked bodies are rare from our clients: count their bytes against the cap.
                framing->chunkedSeen += data.size() - pos;
                if (framing->chunkedSeen > limits.maxBodyBytes) {
                    ++m_rejected;
                    refuse(guard, 413, "payload_too_large", "request body exceeds the limit");
                    return;
                }
                if (data.mid(pos).contains("\r\n0\r\n\r\n"))
                    framing->chunked = false;
                return;
            }
            if (framing->headerBuf.isEmpty() && !deadline->isActive())
                deadline->start(limits.headerDeadlineMs);
            const qsizetype before = framing->headerBuf.size();
            framing->headerBuf += data.mid(pos);
            const qsizetype end = framing->headerBuf.indexOf("\r\n\r\n");
            if (end < 0) {
                if (framing->headerBuf.size() > limits.maxHeaderBytes) {
                    ++m_rejected;
                    refuse(guard, 431, "request_header_fields_too_large", "request headers exceed the limit");
                }
                return;
            }
            deadline->stop();
            bool chunked = false;
            const auto len = contentLength(framing->headerBuf.left(end), &chunked);
            if (len && *len > limits.maxBodyBytes) {
                ++m_rejected;
                refuse(guard, 413, "payload_too_large",
                       "request body of " + QByteArray::number(*len) + " bytes exceeds the limit of "
                           + QByteArray::number(limits.maxBodyBytes));
                return;
            }
            pos += (end + 4) - before;
            framing->headerBuf.clear();
            framing->bodyRemaining = len.value_or(0);
            framing->chunked = chunked;
            framing->chunkedSeen = 0;
        }
    });
}

} // namespace cd::http

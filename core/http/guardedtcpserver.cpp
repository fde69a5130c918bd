#include "guardedtcpserver.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <memory>

namespace cd::http {

namespace {
const char *kStreamingProperty = "cd_streaming";

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

// Per-socket view of the request framing, just enough to find each request's headers and skip
// its body, plus the times the sweep checks.
struct GuardedTcpServer::Conn
{
    QByteArray headerBuf;
    qint64 bodyRemaining = 0;
    bool chunked = false;
    qint64 chunkedSeen = 0;
    qint64 lastActivity = 0;
    qint64 headerStarted = -1; // -1: not inside a request's headers
};

GuardedTcpServer::GuardedTcpServer(GuardLimits limits, QObject *parent) : QTcpServer(parent), m_limits(limits)
{
    m_clock.start();
    m_sweep.setInterval(qMax(50, qMin(1000, m_limits.headerDeadlineMs / 4)));
    connect(&m_sweep, &QTimer::timeout, this, &GuardedTcpServer::sweep);
    m_sweep.start();
}

void GuardedTcpServer::markStreaming(QTcpSocket *socket)
{
    if (socket)
        socket->setProperty(kStreamingProperty, true);
}

void GuardedTcpServer::refuse(QTcpSocket *socket, int status, const char *reason, const QByteArray &detail)
{
    ++m_rejected;
    const QByteArray body = "{\"error\":\"" + QByteArray(reason) + "\",\"detail\":\"" + detail + "\"}";
    QByteArray resp = "HTTP/1.1 " + QByteArray::number(status) + ' ' + QByteArray(reason).replace('_', ' ') +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
    m_conns.remove(socket);
    // Keep QHttpServer from reacting to our write; it never sees a complete request on this socket.
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
        refuse(socket, 503, "service_unavailable", "too many connections");
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        return;
    }
    ++m_open;
    connect(socket, &QObject::destroyed, this, [this, socket] {
        --m_open;
        m_conns.remove(socket);
    });
    watch(socket);
    addPendingConnection(socket);
}

void GuardedTcpServer::watch(QTcpSocket *socket)
{
    auto conn = std::make_shared<Conn>();
    conn->lastActivity = m_clock.elapsed();
    m_conns.insert(socket, conn);
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] {
        if (auto c = m_conns.value(socket))
            c->lastActivity = m_clock.elapsed();
    });
    // Connected before QHttpServer's own readyRead slot, so this sees the bytes first (peek only).
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        if (auto c = m_conns.value(socket))
            inspect(socket, *c);
    });
}

void GuardedTcpServer::inspect(QTcpSocket *socket, Conn &c)
{
    c.lastActivity = m_clock.elapsed();
    const QByteArray data = socket->peek(socket->bytesAvailable());
    qsizetype pos = 0;
    while (pos < data.size()) {
        if (c.bodyRemaining > 0) {
            const qint64 take = qMin<qint64>(c.bodyRemaining, data.size() - pos);
            c.bodyRemaining -= take;
            pos += take;
            continue;
        }
        if (c.chunked) {
            // Chunked bodies are rare from our clients: count their bytes against the cap.
            c.chunkedSeen += data.size() - pos;
            if (c.chunkedSeen > m_limits.maxBodyBytes)
                return refuse(socket, 413, "payload_too_large", "request body exceeds the limit");
            if (data.mid(pos).contains("\r\n0\r\n\r\n"))
                c.chunked = false;
            return;
        }
        if (c.headerStarted < 0)
            c.headerStarted = c.lastActivity;
        const qsizetype before = c.headerBuf.size();
        c.headerBuf += data.mid(pos);
        const qsizetype end = c.headerBuf.indexOf("\r\n\r\n");
        if (end < 0) {
            if (c.headerBuf.size() > m_limits.maxHeaderBytes)
                refuse(socket, 431, "request_header_fields_too_large", "request headers exceed the limit");
            return;
        }
        bool chunked = false;
        const auto len = contentLength(c.headerBuf.left(end), &chunked);
        if (len && *len > m_limits.maxBodyBytes)
            return refuse(socket, 413, "payload_too_large",
                          "request body of " + QByteArray::number(*len) + " bytes exceeds the limit of " +
                              QByteArray::number(m_limits.maxBodyBytes));
        pos += (end + 4) - before;
        c.headerBuf.clear();
        c.headerStarted = -1;
        c.bodyRemaining = len.value_or(0);
        c.chunked = chunked;
        c.chunkedSeen = 0;
    }
}

void GuardedTcpServer::sweep()
{
    const qint64 now = m_clock.elapsed();
    const auto conns = m_conns;
    for (auto it = conns.cbegin(); it != conns.cend(); ++it) {
        QTcpSocket *socket = it.key();
        const Conn &c = *it.value();
        if (c.headerStarted >= 0 && now - c.headerStarted > m_limits.headerDeadlineMs)
            refuse(socket, 408, "request_timeout", "the request headers did not arrive in time");
        else if (now - c.lastActivity > m_limits.idleTimeoutMs && !socket->property(kStreamingProperty).toBool() &&
                 socket->bytesToWrite() == 0)
            socket->disconnectFromHost();
    }
}

} // namespace cd::http

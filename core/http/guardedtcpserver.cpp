#include "guardedtcpserver.h"

#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>

#include <sys/socket.h>

#include <utility>

namespace cd::http {

Q_LOGGING_CATEGORY(lcGuard, "crawldeck.http.guard")

namespace {
const char *kStreamingProperty = "cd_streaming";
constexpr qint64 kLingerMs = 2000;
// Qt's own read buffer per socket. Without a bound Qt reads whatever the kernel has, however little
// of it we take, and our budget would bound nothing.
constexpr qint64 kSocketReadBuffer = 64 * 1024;
constexpr qint64 kRefusalLogIntervalMs = 1000;
} // namespace

// Per-socket framing state and the times the sweep checks.
struct GuardedTcpServer::Conn
{
    explicit Conn(const FramingLimits &limits) : framer(limits) {}

    // A complete request at the front of buf: its bytes and what the framer parsed of them.
    struct Ready
    {
        qsizetype length = 0;
        bool closeAfter = false;
        QByteArray method;
        QByteArray target;
        Headers fields;
        qsizetype headLength = 0;
        bool chunked = false;
        QByteArray chunkedBody; // decoded
    };
    RequestFramer framer;
    QHostAddress peer;
    QByteArray buf;       // read from the socket, not yet handed to a handler
    qsizetype framed = 0; // bytes of buf the framer has seen
    qsizetype readyBytes = 0;
    QList<Ready> ready;    // complete requests at the front of buf, in order
    bool inFlight = false; // a handler has a request whose answer is not written yet
    bool closing = false;  // a request that closes the connection is framed: nothing after it counts
    bool refused = false;
    qint64 refusedAt = -1; // lingering after a refusal since
    bool sentContinue = false;
    qint64 lastActivity = 0;
    qint64 headStarted = -1;
    qint64 bodyStarted = -1;
};

GuardedTcpServer::GuardedTcpServer(GuardLimits limits, QObject *parent) : QTcpServer(parent), m_limits(limits)
{
    m_framing.maxBodyBytes = m_limits.maxBodyBytes;
    m_framing.maxHeaderBytes = m_limits.maxHeaderBytes;
    m_clock.start();
    const int shortest = qMin(qMin(m_limits.headerDeadlineMs, m_limits.bodyDeadlineMs), m_limits.handshakeDeadlineMs);
    m_sweep.setInterval(qBound(20, shortest / 4, 1000));
    connect(&m_sweep, &QTimer::timeout, this, &GuardedTcpServer::sweep);
    m_sweep.start();
}

GuardedTcpServer::~GuardedTcpServer()
{
    m_conns.clear();
    m_handshakes.clear();
}

void GuardedTcpServer::markStreaming(QTcpSocket *socket)
{
    if (socket)
        socket->setProperty(kStreamingProperty, true);
}

void GuardedTcpServer::responseDone(QTcpSocket *socket)
{
    if (!socket)
        return;
    if (auto *guard = qobject_cast<GuardedTcpServer *>(socket->parent()))
        guard->answered(socket);
}

void GuardedTcpServer::send(QTcpSocket *socket, const QByteArray &bytes)
{
    auto *guard = socket ? qobject_cast<GuardedTcpServer *>(socket->parent()) : nullptr;
    qsizetype sent = 0;
    if (guard && !guard->m_tls && socket->bytesToWrite() == 0 && socket->state() == QAbstractSocket::ConnectedState) {
        const ssize_t n = ::send(static_cast<int>(socket->socketDescriptor()), bytes.constData(),
                                 static_cast<size_t>(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        // On an error Qt's own write below meets it again and handles it as it always does.
        if (n > 0) {
            sent = n;
            if (auto c = guard->m_conns.value(socket))
                c->lastActivity = guard->m_clock.elapsed();
        }
    }
    if (sent < bytes.size())
        socket->write(sent == 0 ? bytes : bytes.sliced(sent));
}

void GuardedTcpServer::refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &detail)
{
    ++m_rejected;
    logRefusal(socket, status, detail);
    if (auto c = m_conns.value(socket)) {
        c->refused = true;
        account(-c->buf.size());
        c->buf.clear();
        c->ready.clear();
    }
    m_paused.remove(socket);
    socket->readAll(); // whatever is still unread belongs to the refused stream

    const QByteArray body = "{\"error\":\"" + reason + "\",\"detail\":\"" + detail + "\"}";
    QByteArray extra;
    if (status == 503) // as every 503 of the API: when to come back
        extra = "Retry-After: 1\r\n";
    else if (status == 401)
        extra = "WWW-Authenticate: Bearer realm=\"crawldeck\"\r\n";
    const QByteArray resp = "HTTP/1.1 " + QByteArray::number(status) + ' ' + statusPhrase(status) +
                            "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                            "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n" + extra +
                            "Connection: close\r\n\r\n" + body;
    socket->write(resp);
    // Lingering close: closing while the client is still sending makes the kernel answer with a
    // reset, which can destroy our answer before the client reads it. So a plain socket only shuts
    // its sending side and keeps discarding input until the client closes or the linger ends.
    auto c = m_conns.value(socket);
    socket->flush();
    if (c && !qobject_cast<QSslSocket *>(socket) && socket->bytesToWrite() == 0) {
        c->refusedAt = m_clock.elapsed();
        ::shutdown(static_cast<int>(socket->socketDescriptor()), SHUT_WR);
        return;
    }
    socket->disconnectFromHost();
}

void GuardedTcpServer::logRefusal(QTcpSocket *socket, int status, const QByteArray &detail)
{
    const qint64 now = m_clock.elapsed();
    if (m_lastRefusalLog >= 0 && now - m_lastRefusalLog < kRefusalLogIntervalMs) {
        ++m_refusalsUnlogged;
        return;
    }
    m_lastRefusalLog = now;
    const quint64 unlogged = std::exchange(m_refusalsUnlogged, 0);
    if (unlogged > 0)
        qCInfo(lcGuard).nospace() << "refused " << status << " (" << detail.constData() << ") from "
                                  << socket->peerAddress().toString() << "; " << unlogged
                                  << " more refusal(s) since the previous line";
    else
        qCInfo(lcGuard).nospace() << "refused " << status << " (" << detail.constData() << ") from "
                                  << socket->peerAddress().toString();
}

void GuardedTcpServer::account(qsizetype delta)
{
    m_buffered += delta;
    m_peakBuffered = qMax(m_peakBuffered, m_buffered);
    if (delta < 0 && !m_paused.isEmpty() && !m_resumeQueued) {
        m_resumeQueued = true;
        QMetaObject::invokeMethod(this, &GuardedTcpServer::resumePaused, Qt::QueuedConnection);
    }
}

// Budget came free: the connections that waited for it read again. Each takes what is left; those
// that find none wait for the next release.
void GuardedTcpServer::resumePaused()
{
    m_resumeQueued = false;
    const auto paused = m_paused;
    m_paused.clear();
    for (QTcpSocket *socket : paused) {
        if (m_buffered >= m_limits.maxBufferedBytes) {
            m_paused.insert(socket);
            continue;
        }
        if (auto c = m_conns.value(socket); c && !c->refused)
            onReadyRead(socket, c);
    }
}

// Counts the connection and forgets it when the socket goes, through a child object: whoever
// disconnects the socket's signals cannot reach this one.
void GuardedTcpServer::trackLifetime(QTcpSocket *socket, bool counted)
{
    auto *tracker = new QObject(socket);
    if (counted)
        ++m_open;
    connect(tracker, &QObject::destroyed, this, [this, socket, counted] {
        if (counted)
            --m_open;
        m_paused.remove(socket);
        if (const auto c = m_conns.take(socket))
            account(-c->buf.size());
        m_handshakes.remove(socket);
    });
}

void GuardedTcpServer::incomingConnection(qintptr handle)
{
    QTcpSocket *socket = m_tls ? new QSslSocket(this) : new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    if (m_open >= m_limits.maxConnections) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (m_tls) {
            // No handshake is spent on a connection that cannot be served.
            ++m_rejected;
            socket->abort();
            socket->deleteLater();
        } else {
            refuse(socket, 503, "unavailable", "too many connections");
        }
        return;
    }
    trackLifetime(socket, true);
    if (!m_tls) {
        admit(socket);
        return;
    }
    auto *ssl = static_cast<QSslSocket *>(socket);
    ssl->setSslConfiguration(*m_tls);
    m_handshakes.insert(ssl, m_clock.elapsed());
    connect(ssl, &QSslSocket::encrypted, this, [this, ssl] {
        m_handshakes.remove(ssl);
        admit(ssl);
    });
    // Until it is admitted the socket is ours alone to delete.
    connect(ssl, &QAbstractSocket::disconnected, this, [this, ssl] {
        if (m_handshakes.remove(ssl))
            ssl->deleteLater();
    });
    connect(ssl, &QSslSocket::sslErrors, ssl, [ssl](const QList<QSslError> &) { ssl->abort(); });
    ssl->startServerEncryption();
}

void GuardedTcpServer::admit(QTcpSocket *socket)
{
    auto conn = std::make_shared<Conn>(m_framing);
    conn->lastActivity = m_clock.elapsed();
    conn->peer = socket->peerAddress();
    socket->setReadBufferSize(kSocketReadBuffer);
    m_conns.insert(socket, conn);
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] {
        if (auto c = m_conns.value(socket))
            c->lastActivity = m_clock.elapsed();
    });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        if (auto c = m_conns.value(socket))
            onReadyRead(socket, c);
    });
    // Bytes that arrived with the handshake's last flight are already buffered.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(
            this,
            [this, s = QPointer<QTcpSocket>(socket)] {
                if (s)
                    if (auto c = m_conns.value(s))
                        onReadyRead(s, c);
            },
            Qt::QueuedConnection);
}

void GuardedTcpServer::onReadyRead(QTcpSocket *socket, const std::shared_ptr<Conn> &c)
{
    if (c->refused) {
        socket->readAll();
        return;
    }
    c->lastActivity = m_clock.elapsed();
    // Reading stops at one request's worth beyond what is queued: a client that pipelines faster
    // than we answer is held back by TCP, not by our memory.
    // All connections share one budget; what happens past it is decided below, once the bytes read
    // so far are framed. Unread bytes stay with Qt and the kernel, so TCP holds the client back.
    bool starved = false;
    while (socket->bytesAvailable() > 0 && c->buf.size() < readCap()) {
        if (c->closing) {
            socket->readAll(); // after a request that closes the connection nothing is read
            break;
        }
        const qint64 room = qMin<qint64>(readCap() - c->buf.size(), m_limits.maxBufferedBytes - m_buffered);
        if (room <= 0) {
            starved = true;
            break;
        }
        // Never more than is there: QIODevice::read(n) allocates n bytes up front.
        const QByteArray chunk = socket->read(qMin(room, socket->bytesAvailable()));
        if (chunk.isEmpty())
            break;
        c->buf += chunk; // an empty buffer shares the chunk instead of copying it
        account(chunk.size());
    }
    if (c->closing)
        socket->readAll();
    frame(socket, *c);
    if (c->refused)
        return;
    m_paused.remove(socket);
    if (starved) {
        // Between requests (all it holds is complete requests, which drain as they are answered)
        // a connection can wait for budget. In the middle of one it cannot: connections each
        // holding part of a body could hold the whole budget and wait for each other forever.
        if (c->framer.phase() != RequestFramer::Phase::Idle)
            return refuse(socket, 503, "unavailable", "the server holds too many request bodies; retry later");
        m_paused.insert(socket);
    }
    release(socket, c);
}

void GuardedTcpServer::frame(QTcpSocket *socket, Conn &c)
{
    const qint64 now = m_clock.elapsed();
    while (!c.closing && c.framed < c.buf.size()) {
        c.framed += c.framer.feed(c.buf.constData() + c.framed, c.buf.size() - c.framed);
        if (c.framer.refused()) {
            const Refusal r = c.framer.refusal();
            return refuse(socket, r.status, r.reason, r.detail);
        }
        if (!c.framer.complete())
            break;
        const qsizetype length = c.framed - c.readyBytes;
        const bool close = c.framer.closeAfter();
        c.ready.append(Conn::Ready{length, close, c.framer.method(), c.framer.target(), c.framer.fields(),
                                   c.framer.headLength(), c.framer.chunked(), c.framer.takeChunkedBody()});
        c.readyBytes += length;
        c.framer.next();
        c.headStarted = c.bodyStarted = -1;
        c.sentContinue = false;
        if (close) {
            c.closing = true;
            account(c.framed - c.buf.size());
            c.buf.truncate(c.framed);
        }
    }
    if (c.framer.inHead() && c.headStarted < 0)
        c.headStarted = now;
    if (c.framer.inBody()) {
        c.headStarted = -1;
        if (c.bodyStarted < 0)
            c.bodyStarted = now;
        // `Expect: 100-continue` (curl sends it for bodies over 1 KiB): answer it when this
        // request is next in line, or the client waits a second before sending the body.
        if (c.framer.expectsContinue() && !c.sentContinue && !c.inFlight && c.ready.isEmpty() && !c.framer.http10()) {
            // Every route that takes a body needs credentials: a body that can only earn a 401 is
            // not invited. Whether the credential is valid is the handler's business.
            if (!c.framer.hasCredentials())
                return refuse(socket, 401, "unauthorized", "credentials are required; send them before the body");
            c.sentContinue = true;
            socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        }
    }
}

// Hands the dispatcher exactly one complete request, parsed once, with the Reply that answers it.
void GuardedTcpServer::release(QTcpSocket *socket, const std::shared_ptr<Conn> &c)
{
    if (c->inFlight || c->ready.isEmpty() || socket->state() != QAbstractSocket::ConnectedState)
        return;
    Conn::Ready r = c->ready.takeFirst();
    QByteArray body = r.chunked ? std::move(r.chunkedBody) : c->buf.mid(r.headLength, r.length - r.headLength);
    if (r.length == c->buf.size())
        c->buf.clear();
    else
        c->buf.remove(0, r.length);
    account(-r.length);
    c->framed -= r.length;
    c->readyBytes -= r.length;
    c->inFlight = true;
    Request req = Request::fromFramed(r.method, r.target, r.fields, std::move(body), c->peer);
    Reply reply(socket, r.closeAfter);
    if (m_dispatch)
        m_dispatch(std::move(req), r.fields, std::move(reply));
}

void GuardedTcpServer::answered(QTcpSocket *socket)
{
    auto c = m_conns.value(socket);
    if (!c || !c->inFlight)
        return;
    c->inFlight = false;
    c->lastActivity = m_clock.elapsed();
    // Queued: the handler that answered is still on the stack.
    m_answered.append(QPointer<QTcpSocket>(socket));
    if (!m_releaseQueued) {
        m_releaseQueued = true;
        QMetaObject::invokeMethod(this, &GuardedTcpServer::releaseAnswered, Qt::QueuedConnection);
    }
}

void GuardedTcpServer::releaseAnswered()
{
    m_releaseQueued = false;
    const auto sockets = std::exchange(m_answered, {});
    for (const QPointer<QTcpSocket> &s : sockets) {
        if (!s)
            continue;
        if (auto conn = m_conns.value(s); conn && !conn->refused) {
            onReadyRead(s, conn); // bytes held back by the read cap
            if (!conn->refused)
                release(s, conn);
        }
    }
}

void GuardedTcpServer::sweep()
{
    const qint64 now = m_clock.elapsed();
    const auto handshakes = m_handshakes;
    for (auto it = handshakes.cbegin(); it != handshakes.cend(); ++it) {
        if (now - it.value() > m_limits.handshakeDeadlineMs) {
            ++m_rejected;
            m_handshakes.remove(it.key());
            it.key()->abort();
            it.key()->deleteLater();
        }
    }
    const auto conns = m_conns;
    for (auto it = conns.cbegin(); it != conns.cend(); ++it) {
        QTcpSocket *socket = it.key();
        const Conn &c = *it.value();
        if (c.refused) {
            if (c.refusedAt >= 0 && now - c.refusedAt > kLingerMs)
                socket->abort();
            continue;
        }
        // While the read cap holds the client back its bytes cannot arrive: no deadline then.
        const bool reading = c.buf.size() < readCap();
        if (reading && c.headStarted >= 0 && now - c.headStarted > m_limits.headerDeadlineMs)
            refuse(socket, 408, "request_timeout", "the request headers did not arrive in time");
        else if (reading && c.bodyStarted >= 0 && now - c.bodyStarted > m_limits.bodyDeadlineMs)
            refuse(socket, 408, "request_timeout", "the request body did not arrive in time");
        else if (now - c.lastActivity > m_limits.idleTimeoutMs && !socket->property(kStreamingProperty).toBool() &&
                 socket->bytesToWrite() == 0)
            socket->disconnectFromHost();
    }
}

} // namespace cd::http

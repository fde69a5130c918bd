#pragma once

#include "httpframing.h"
#include "reply.h"
#include "request.h"

#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

namespace cd::http {

Q_DECLARE_LOGGING_CATEGORY(lcGuard)

struct GuardLimits
{
    int maxConnections = 512;
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    qint64 maxHeaderBytes = 64 * 1024;
    int headerDeadlineMs = 10000;    // a request's head must arrive within this of its first byte
    int bodyDeadlineMs = 60000;      // its body within this of the end of its head, however it trickles
    int handshakeDeadlineMs = 10000; // TLS: the handshake must finish within this
    int idleTimeoutMs = 120000;      // keep-alive sockets with no traffic are closed
    // All connections together hold at most this many bytes of requests read but not yet handed
    // to a handler. Past it, a connection between requests stops being read (TCP holds the
    // client back) until bytes are handed over; one in the middle of a request gets 503 and closes.
    qint64 maxBufferedBytes = 64 * 1024 * 1024;
};

// The HTTP/1.x listener: it reads every byte itself, frames and parses each request once
// (RequestFramer), answers 400/408/411/413/414/431/501/503/505 and closes, and hands the router one
// complete, validated request at a time per connection, the next pipelined one only once the
// previous one is answered (Reply writes the answer on the socket itself). It bounds connections,
// bodies, deadlines and the bytes buffered by all connections together. With a TLS configuration it
// also does the handshake (with a deadline) before any of that.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)
public:
    explicit GuardedTcpServer(GuardLimits limits, QObject *parent = nullptr);
    ~GuardedTcpServer() override;

    // Receives every framed request: the request, its field lines in order, and the answer to it.
    using Dispatch = std::function<void(Request &&, const Headers &, Reply &&)>;

    void setTlsConfiguration(const QSslConfiguration &config) { m_tls = config; }
    void setDispatch(Dispatch dispatch) { m_dispatch = std::move(dispatch); }

    // Long-lived responses (SSE) are exempt from the idle timeout.
    static void markStreaming(QTcpSocket *socket);
    // The answer to the request in flight on `socket` is written: the next pipelined one may go.
    static void responseDone(QTcpSocket *socket);
    // Writes a whole answer. On a plain connection with nothing queued it goes to the kernel at once
    // (one send(2)); Qt's buffered write would arm and disarm a write notifier per answer, and each
    // of those wakes the event loop with a syscall of its own. What the kernel does not take, and
    // anything on TLS, goes through the socket's own buffer.
    static void send(QTcpSocket *socket, const QByteArray &bytes);

    int openConnections() const { return m_open; }
    quint64 rejectedCount() const { return m_rejected; }
    // Request bytes read from all sockets and not yet handed to a handler (≤ maxBufferedBytes),
    // and the most that ever were at once.
    qint64 bufferedBytes() const { return m_buffered; }
    qint64 peakBufferedBytes() const { return m_peakBuffered; }
    // Connections between requests whose reading waits for the shared budget.
    qsizetype pausedConnections() const { return m_paused.size(); }

protected:
    void incomingConnection(qintptr handle) override;

private:
    struct Conn;
    void admit(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket, const std::shared_ptr<Conn> &conn);
    void frame(QTcpSocket *socket, Conn &conn);
    void release(QTcpSocket *socket, const std::shared_ptr<Conn> &conn);
    void answered(QTcpSocket *socket);
    void releaseAnswered();
    // Bytes buffered per connection before reading pauses: one whole request beyond those queued.
    qint64 readCap() const { return m_limits.maxHeaderBytes + m_limits.maxBodyBytes + 64 * 1024; }
    void sweep();
    void refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &detail);
    void logRefusal(QTcpSocket *socket, int status, const QByteArray &detail);
    void trackLifetime(QTcpSocket *socket, bool counted);
    // A connection's buffer changed size by `delta` bytes.
    void account(qsizetype delta);
    void resumePaused();

    GuardLimits m_limits;
    FramingLimits m_framing;
    Dispatch m_dispatch;
    std::optional<QSslConfiguration> m_tls;
    // Deadlines are checked by one sweep, not a timer per socket: restarting thousands of timers
    // per second is what Qt's timer list is slowest at.
    QHash<QTcpSocket *, std::shared_ptr<Conn>> m_conns;
    QHash<QTcpSocket *, qint64> m_handshakes; // TLS sockets not yet admitted: handshake start
    QTimer m_sweep;
    QElapsedTimer m_clock;
    int m_open = 0;
    quint64 m_rejected = 0;
    qint64 m_buffered = 0;
    qint64 m_peakBuffered = 0;
    QSet<QTcpSocket *> m_paused;
    // Connections whose answer was written since the last turn of the event loop: one queued call
    // releases their next requests (a group commit answers hundreds at once).
    QList<QPointer<QTcpSocket>> m_answered;
    bool m_releaseQueued = false;
    bool m_resumeQueued = false;
    // Refusals are logged at most once a second: a flood must not become a flood of log lines.
    qint64 m_lastRefusalLog = -1;
    quint64 m_refusalsUnlogged = 0;
};

} // namespace cd::http

#include "testutil.h"

#include <QThread>

namespace cdtest {

bool waitUntil(const std::function<bool()> &pred, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!pred()) {
        if (t.elapsed() > timeoutMs)
            return pred();
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::usleep(200);
    }
    return true;
}

void spin(int ms)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QThread::usleep(200);
    }
}

namespace {
// Parses one complete response from `buf`; false while incomplete.
bool parseResponse(const QByteArray &buf, bool closed, HttpResponse *out, bool head = false)
{
    const qsizetype end = buf.indexOf("\r\n\r\n");
    if (end < 0)
        return false;
    const QList<QByteArray> lines = buf.left(end).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    HttpResponse r;
    r.status = statusLine.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines.at(i).indexOf(':');
        if (colon > 0)
            r.headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
    }
    const QByteArray rest = buf.mid(end + 4);
    if (head) {
        // A HEAD answer announces a length but carries no body.
    } else if (r.headers.contains("content-length")) {
        const qsizetype len = r.headers.value("content-length").toLongLong();
        if (rest.size() < len)
            return false;
        r.body = rest.left(len);
    } else {
        if (!closed)
            return false;
        r.body = rest;
    }
    *out = r;
    return true;
}
} // namespace

HttpResponse request(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body,
                     const HeaderList &headers, int timeoutMs)
{
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    // A refused connection ends the wait at once (status 0), not at the timeout.
    waitUntil(
        [&] {
            return s.state() == QAbstractSocket::ConnectedState || s.error() != QAbstractSocket::UnknownSocketError;
        },
        timeoutMs);
    if (s.state() != QAbstractSocket::ConnectedState)
        return {};
    QByteArray req = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    bool hasLength = false;
    for (const auto &h : headers) {
        req += h.first + ": " + h.second + "\r\n";
        hasLength = hasLength || h.first.toLower() == "content-length";
    }
    if (!hasLength && (!body.isEmpty() || method == "POST"))
        req += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    req += "\r\n" + body;
    s.write(req);
    QByteArray buf;
    HttpResponse out;
    bool closed = false;
    QObject ctx;
    QObject::connect(&s, &QTcpSocket::readyRead, &ctx, [&] { buf += s.readAll(); });
    QObject::connect(&s, &QTcpSocket::disconnected, &ctx, [&] { closed = true; });
    const bool head = method == "HEAD";
    waitUntil([&] { return parseResponse(buf, closed, &out, head) || closed; }, timeoutMs);
    buf += s.readAll();
    parseResponse(buf, true, &out, head);
    return out;
}

HttpResponse getJson(quint16 port, const QByteArray &path, const QByteArray &token)
{
    HeaderList h;
    if (!token.isEmpty())
        h.append({"Authorization", "Bearer " + token});
    return request(port, "GET", path, {}, h);
}

HttpResponse postJson(quint16 port, const QByteArray &path, const QJsonObject &body, const QByteArray &token,
                      const HeaderList &extra)
{
    HeaderList h{{"Content-Type", "application/json"}};
    if (!token.isEmpty())
        h.append({"Authorization", "Bearer " + token});
    h.append(extra);
    return request(port, "POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), h);
}

SseClient::SseClient(quint16 port, const QByteArray &path, const HeaderList &headers)
{
    QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { onReadyRead(); });
    m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!waitUntil([&] { return m_socket.state() == QAbstractSocket::ConnectedState; }))
        return;
    QByteArray req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto &h : headers)
        req += h.first + ": " + h.second + "\r\n";
    m_socket.write(req + "\r\n");
    waitUntil([&] { return m_status != 0 || m_socket.state() != QAbstractSocket::ConnectedState; });
}

SseClient::~SseClient()
{
    m_socket.abort();
}

bool SseClient::connected() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void SseClient::onReadyRead()
{
    if (m_paused)
        return;
    m_buf += m_socket.readAll();
    if (!m_headersDone) {
        const qsizetype end = m_buf.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        m_status = m_buf.left(end).split(' ').value(1).toInt();
        m_buf.remove(0, end + 4);
        m_headersDone = true;
    }
    for (;;) {
        const qsizetype end = m_buf.indexOf("\n\n");
        if (end < 0)
            break;
        const QByteArray block = m_buf.left(end);
        m_buf.remove(0, end + 2);
        SseEvent ev;
        bool any = false;
        QList<QByteArray> data;
        for (const QByteArray &line : block.split('\n')) {
            if (line.startsWith(':'))
                continue;
            if (line.startsWith("id: ")) {
                ev.id = line.mid(4);
                any = true;
            } else if (line.startsWith("event: ")) {
                ev.event = line.mid(7);
                any = true;
            } else if (line.startsWith("data: ")) {
                data.append(line.mid(6));
                any = true;
            }
        }
        ev.data = data.join('\n');
        if (any && (!ev.data.isEmpty() || !ev.event.isEmpty()))
            m_events.append(ev);
    }
}

QList<QByteArray> SseClient::messages() const
{
    QList<QByteArray> out;
    for (const auto &e : m_events)
        if (e.event.isEmpty())
            out.append(e.data);
    return out;
}

bool SseClient::waitForMessages(int n, int timeoutMs)
{
    return waitUntil(
        [&] {
            if (m_paused)
                return false;
            onReadyRead();
            return messages().size() >= n;
        },
        timeoutMs);
}

bool SseClient::waitForEvent(const QByteArray &name, int timeoutMs)
{
    return waitUntil(
        [&] {
            for (const auto &e : m_events)
                if (e.event == name)
                    return true;
            return false;
        },
        timeoutMs);
}

bool SseClient::waitForClose(int timeoutMs)
{
    return waitUntil([&] { return m_socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
}

} // namespace cdtest

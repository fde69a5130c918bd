#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <functional>

#include <ostream>

QT_BEGIN_NAMESPACE
// Readable QString values in GoogleTest failure messages.
inline void PrintTo(const QString &s, std::ostream *os)
{
    *os << '"' << s.toStdString() << '"';
}
inline void PrintTo(const QByteArray &s, std::ostream *os)
{
    *os << '"' << s.toStdString() << '"';
}
QT_END_NAMESPACE

namespace cdtest {

// Runs the event loop until `pred` holds or `timeoutMs` passes; returns pred().
bool waitUntil(const std::function<bool()> &pred, int timeoutMs = 5000);
// Runs the event loop for `ms`.
void spin(int ms);

struct HttpResponse
{
    int status = 0;                        // 0 = no answer (connection failed or timed out)
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// A blocking HTTP/1.1 client over a raw socket that keeps the event loop running while it waits,
// so an in-process server can answer. Raw on purpose: tests send malformed and oversized requests.
HttpResponse request(quint16 port, const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                     const HeaderList &headers = {}, int timeoutMs = 10000);
HttpResponse getJson(quint16 port, const QByteArray &path, const QByteArray &token = {});
HttpResponse postJson(quint16 port, const QByteArray &path, const QJsonObject &body, const QByteArray &token = {},
                      const HeaderList &extra = {});

struct SseEvent
{
    QByteArray id;
    QByteArray event; // empty = message
    QByteArray data;
};

// A Server-Sent Events client that collects events as they arrive.
class SseClient
{
public:
    SseClient(quint16 port, const QByteArray &path, const HeaderList &headers = {});
    ~SseClient();
    bool connected() const;
    int status() const { return m_status; }
    QList<SseEvent> events() const { return m_events; }
    QList<QByteArray> messages() const; // data of plain message events
    bool waitForMessages(int n, int timeoutMs = 5000);
    bool waitForEvent(const QByteArray &name, int timeoutMs = 5000);
    bool waitForClose(int timeoutMs = 5000);
    QTcpSocket *socket() { return &m_socket; }
    void stopReading(bool on) { m_paused = on; }

private:
    void onReadyRead();
    QTcpSocket m_socket;
    QByteArray m_buf;
    bool m_headersDone = false;
    bool m_paused = false;
    int m_status = 0;
    QList<SseEvent> m_events;
};

} // namespace cdtest

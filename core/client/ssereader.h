#pragma once

#include "clienterror.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

class QNetworkReply;

namespace cd::client {

class ApiClient;

struct SseEvent
{
    QString id;    // the stream's last event id after this event (carried over when it has none)
    QString event; // "message" when the server named none
    QByteArray data;
};

// Reads a Server-Sent Events stream of a Crawldeck server (a job's log, /api/events) and keeps it
// going: after a disconnect or a server restart it reconnects with backoff and `Last-Event-ID`, so a
// log stream continues after the last line it delivered, with none lost or repeated. Refusals that
// retrying cannot fix (401, 403, 404, another API version) end it with failed(); so does being unable
// to reconnect for giveUpAfterMs. The `endEvent` (for job logs: "end") ends it with finished().
class SseReader final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SseReader)

public:
    enum class State { Idle, Connecting, Connected, Reconnecting, Finished, Failed };
    Q_ENUM(State)

    // `path` with its query, relative to the client's base URL ("/api/crawler/logs/<id>").
    SseReader(ApiClient *client, QString path, QObject *parent = nullptr);
    ~SseReader() override;

    void setLastEventId(const QString &id) { m_lastEventId = id; }
    void setEndEvent(const QString &name) { m_endEvent = name; }
    // How long to keep trying while the server cannot be reached; 0 = for ever.
    void setGiveUpAfterMs(int ms) { m_giveUpAfterMs = ms; }
    // Longest silence (the server sends a keepalive every 15 s) before the connection counts as dead.
    void setIdleTimeoutMs(int ms) { m_idleTimeoutMs = ms; }

    void start();
    void stop();
    State state() const { return m_state; }
    QString lastEventId() const { return m_lastEventId; }
    int reconnects() const { return m_reconnects; }

Q_SIGNALS:
    void event(const cd::client::SseEvent &event);
    void stateChanged(cd::client::SseReader::State state);
    void finished();
    void failed(const cd::client::ClientError &error);

private:
    void connectNow();
    void onReadyRead();
    void onFinished();
    void readLine(const QByteArray &line);
    void setState(State s);
    void fail(const ClientError &error);
    void retryLater(const QString &why);

    QPointer<ApiClient> m_client;
    QString m_path;
    QString m_lastEventId;
    QString m_endEvent;
    int m_giveUpAfterMs = 0;
    int m_idleTimeoutMs = 45000;
    void dropReply();

    QPointer<QNetworkReply> m_reply; // the network manager's child: it may go first
    QByteArray m_buffer;
    QString m_idBuffer; // becomes the last event id only once its event is complete
    QString m_eventName;
    QByteArray m_data;
    bool m_hasData = false;
    bool m_httpChecked = false;
    State m_state = State::Idle;
    int m_attempt = 0;
    int m_reconnects = 0;
    QElapsedTimer m_downSince;
    QTimer m_retry;
};

} // namespace cd::client

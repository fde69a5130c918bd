#include "ssereader.h"

#include "apiclient.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>

namespace cd::client {

using Kind = ClientError::Kind;

SseReader::SseReader(ApiClient *client, QString path, QObject *parent)
    : QObject(parent), m_client(client), m_path(std::move(path))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &SseReader::connectNow);
    connect(client, &QObject::destroyed, this, [this] {
        fail(ClientError{Kind::Cancelled, 0, {}, QStringLiteral("the client was destroyed")});
    });
}

SseReader::~SseReader()
{
    dropReply();
}

void SseReader::start()
{
    if (m_state != State::Idle)
        return;
    m_attempt = 0;
    m_downSince.invalidate();
    connectNow();
}

void SseReader::stop()
{
    if (m_state == State::Finished || m_state == State::Failed)
        return;
    m_retry.stop();
    dropReply();
    setState(State::Finished);
    Q_EMIT finished();
}

void SseReader::setState(State s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void SseReader::dropReply()
{
    if (!m_reply)
        return;
    QNetworkReply *r = m_reply;
    m_reply = nullptr;
    disconnect(r, nullptr, this, nullptr);
    r->abort();
    r->deleteLater();
}

void SseReader::fail(const ClientError &error)
{
    if (m_state == State::Finished || m_state == State::Failed)
        return;
    m_retry.stop();
    dropReply();
    setState(State::Failed);
    Q_EMIT failed(error);
}

void SseReader::connectNow()
{
    if (!m_client)
        return;
    QNetworkRequest req = m_client->request(m_client->url(m_path));
    req.setRawHeader("Accept", "text/event-stream");
    req.setTransferTimeout(m_idleTimeoutMs);
    if (!m_lastEventId.isEmpty())
        req.setRawHeader("Last-Event-ID", m_lastEventId.toUtf8());
    m_buffer.clear();
    m_eventName.clear();
    m_data.clear();
    m_hasData = false;
    m_idBuffer = m_lastEventId;
    m_httpChecked = false;
    m_reply = m_client->network()->get(req);
    connect(m_reply, &QNetworkReply::readyRead, this, &SseReader::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &SseReader::onFinished);
    if (m_state == State::Idle)
        setState(State::Connecting);
}

void SseReader::onReadyRead()
{
    if (!m_reply)
        return;
    if (!m_httpChecked) {
        // An error status is read whole when the reply finishes.
        if (m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
            return;
        if (const auto bad = m_client->incompatibility(*m_reply))
            return fail(*bad);
        m_httpChecked = true;
        m_attempt = 0;
        m_downSince.invalidate();
        setState(State::Connected);
    }
    m_buffer += m_reply->readAll();
    const QPointer<SseReader> self(this);
    qsizetype start = 0;
    for (qsizetype nl = m_buffer.indexOf('\n'); nl >= 0; nl = m_buffer.indexOf('\n', start)) {
        QByteArray line = m_buffer.mid(start, nl - start);
        start = nl + 1;
        if (line.endsWith('\r'))
            line.chop(1);
        readLine(line);
        // A receiver may stop or delete the reader from its slot.
        if (!self || m_state == State::Finished || m_state == State::Failed)
            return;
    }
    m_buffer.remove(0, start);
}

void SseReader::readLine(const QByteArray &line)
{
    if (line.isEmpty()) {
        m_lastEventId = m_idBuffer;
        if (!m_hasData) {
            m_eventName.clear();
            return;
        }
        const SseEvent e{m_lastEventId, m_eventName.isEmpty() ? QStringLiteral("message") : m_eventName, m_data};
        m_eventName.clear();
        m_data.clear();
        m_hasData = false;
        const bool last = !m_endEvent.isEmpty() && e.event == m_endEvent;
        const QPointer<SseReader> self(this);
        Q_EMIT event(e);
        if (self && last)
            stop();
        return;
    }
    if (line.startsWith(':'))
        return; // a comment: keepalive
    const qsizetype colon = line.indexOf(':');
    const QByteArray field = colon < 0 ? line : line.left(colon);
    QByteArray value = colon < 0 ? QByteArray() : line.mid(colon + 1);
    if (value.startsWith(' '))
        value.remove(0, 1);
    if (field == "data") {
        if (m_hasData)
            m_data += '\n';
        m_data += value;
        m_hasData = true;
    } else if (field == "event") {
        m_eventName = QString::fromUtf8(value);
    } else if (field == "id" && !value.contains('\0')) {
        m_idBuffer = QString::fromUtf8(value);
    }
}

void SseReader::onFinished()
{
    if (!m_reply || m_state == State::Finished || m_state == State::Failed)
        return;
    QNetworkReply *r = m_reply;
    const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200 && !m_httpChecked)
        onReadyRead(); // a short stream that arrived all at once
    if (!m_reply || m_state == State::Finished || m_state == State::Failed)
        return;
    if (auto tls = status == 0 ? m_client->tlsFailure(*r) : std::nullopt) {
        dropReply();
        return fail(*tls); // the same certificate again would be refused again
    }
    const QString why = status == 0 ? r->errorString() : QStringLiteral("HTTP %1").arg(status);
    const QByteArray body = status != 200 ? r->readAll() : QByteArray();
    const auto incompatible = status != 200 ? m_client->incompatibility(*r) : std::nullopt;
    dropReply();
    if (incompatible)
        return fail(*incompatible);
    // A closed stream (the server restarted, or could not read the log for a moment), no answer,
    // or an answer that says "later": try again. Anything else will not get better by retrying.
    if (status == 0 || status == 200 || status == 429 || status >= 500)
        return retryLater(status == 200 ? QStringLiteral("the stream closed") : why);
    fail(ApiClient::httpError(status, body));
}

void SseReader::retryLater(const QString &why)
{
    if (!m_client || m_client->closing())
        return fail(ClientError{Kind::Cancelled, 0, {}, QStringLiteral("the client was destroyed")});
    if (!m_downSince.isValid())
        m_downSince.start();
    if (m_giveUpAfterMs > 0 && m_downSince.elapsed() > m_giveUpAfterMs)
        return fail(ClientError{Kind::Network,
                                0,
                                {},
                                QStringLiteral("%1 (%2); gave up reconnecting after %3 s")
                                    .arg(why, m_client ? m_client->config().baseUrl.toDisplayString() : QString())
                                    .arg(m_giveUpAfterMs / 1000)});
    ++m_reconnects;
    setState(State::Reconnecting);
    m_retry.start(m_client ? m_client->backoffMs(m_attempt++) : 1000);
}

} // namespace cd::client

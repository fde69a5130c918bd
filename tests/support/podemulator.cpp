#include "podemulator.h"

#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace cdtest {

PodEmulator::PodEmulator() : m_server(std::make_unique<QHttpServer>()), m_nam(std::make_unique<QNetworkAccessManager>())
{
    m_server->route(
        QStringLiteral("/process"), QHttpServerRequest::Method::Post,
        [this](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
            ++m_calls;
            m_last = QJsonDocument::fromJson(req.body()).object();
            const QJsonObject pod =
                m_last.value(QStringLiteral("params")).toObject().value(QStringLiteral("pod")).toObject();
            const QString mode = pod.value(QStringLiteral("mode")).toString(QStringLiteral("ok"));
            const QString cb = m_last.value(QStringLiteral("callback_url")).toString();
            const QString jobId = m_last.value(QStringLiteral("job_id")).toString();
            for (const QJsonValue &line : pod.value(QStringLiteral("callbacks")).toArray()) {
                QNetworkRequest r{QUrl(cb)};
                r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
                QNetworkReply *reply = m_nam->post(
                    r, QJsonDocument(QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("message"), line}})
                           .toJson(QJsonDocument::Compact));
                connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
            }
            if (mode == u"hang") {
                // Never answers; the client aborts on cancel. Keep the responder alive
                // with the socket so nothing is written after the client left.
                auto *held = new std::unique_ptr<QHttpServerResponder>(
                    std::make_unique<QHttpServerResponder>(std::move(responder)));
                QTcpSocket *s = (*held)->socket();
                connect(s, &QObject::destroyed, s, [held] { delete held; });
                return;
            }
            auto shared = std::make_shared<QHttpServerResponder>(std::move(responder));
            QPointer<QTcpSocket> socket = shared->socket();
            const int delay = pod.value(QStringLiteral("delay_ms")).toInt(200);
            QTimer::singleShot(delay, this, [shared, socket, mode, jobId] {
                if (!socket || socket->state() != QAbstractSocket::ConnectedState)
                    return;
                if (mode == u"fail")
                    shared->write(
                        QJsonDocument(QJsonObject{{QStringLiteral("detail"), QStringLiteral("model crashed")}}),
                        QHttpServerResponder::StatusCode::InternalServerError);
                else
                    shared->write(QJsonDocument(
                        QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                    {QStringLiteral("job_id"), jobId},
                                    {QStringLiteral("domains"),
                                     QJsonArray{QStringLiteral("pod-1.example"), QStringLiteral("pod-2.example")}}}));
            });
        });
    m_server->route(QStringLiteral("/cancel/<arg>"), QHttpServerRequest::Method::Post, [this](const QString &id) {
        m_cancelled << id;
        return QHttpServerResponse(QJsonObject{{QStringLiteral("status"), QStringLiteral("cancelled")}});
    });
}

PodEmulator::~PodEmulator() = default;

quint16 PodEmulator::listen()
{
    m_port = m_server->listen(QHostAddress(QHostAddress::LocalHost), 0);
    return m_port;
}

QUrl PodEmulator::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

} // namespace cdtest

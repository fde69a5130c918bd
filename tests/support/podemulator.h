#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include <memory>

class QHttpServer;
class QHttpServerResponder;
class QNetworkAccessManager;

namespace cdtest {

// An HTTP worker as on a RunPod pod (seeds 000/001): POST /process {data, num_domains, job_id,
// callback_url, params} posts log lines to callback_url and answers with the result. Behaviour per
// job from params.pod: {"mode": "ok"|"fail"|"hang", "delay_ms": n, "callbacks": [..]}.
class PodEmulator : public QObject
{
    Q_OBJECT
public:
    PodEmulator();
    ~PodEmulator() override;
    quint16 listen();
    QUrl url() const;
    QStringList cancelled() const { return m_cancelled; }
    QJsonObject lastProcessBody() const { return m_last; }
    int processCalls() const { return m_calls; }

private:
    std::unique_ptr<QHttpServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    quint16 m_port = 0;
    QStringList m_cancelled;
    QJsonObject m_last;
    int m_calls = 0;
};

} // namespace cdtest

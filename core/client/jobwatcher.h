#pragma once

#include "clienterror.h"
#include "model/job.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <QCoro/QCoroTask>

#include <optional>

namespace cd::client {

class ApiClient;
class SseReader;

// Follows one job until it ends: job changes from /api/events, and the job read afresh whenever
// the event stream (re)connects, because events missed while disconnected are not replayed. A
// server restart in between costs nothing but the reconnect.
class JobWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobWatcher)

public:
    JobWatcher(ApiClient *client, QString jobId, QObject *parent = nullptr);
    ~JobWatcher() override;

    // How long to keep trying while the server cannot be reached; 0 = for ever.
    void setGiveUpAfterMs(int ms) { m_giveUpAfterMs = ms; }
    void start();
    // Starts if needed; the job once terminal, or why watching it failed.
    QCoro::Task<ClientResult<model::Job>> untilSettled();

Q_SIGNALS:
    void changed(const cd::model::Job &job);
    void connectionChanged(bool connected);
    void done();

private:
    static constexpr int kRereadMs = 1000;
    // Reads the job once more; again after kRereadMs while the server does not answer.
    void readJob();
    void consider(const model::Job &job);
    void finish(ClientResult<model::Job> result);

    QPointer<ApiClient> m_client;
    QString m_jobId;
    int m_giveUpAfterMs = 0;
    SseReader *m_events = nullptr;
    std::optional<ClientResult<model::Job>> m_result;
};

} // namespace cd::client

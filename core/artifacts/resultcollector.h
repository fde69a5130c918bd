#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QStringList>

#include <QCoro/QCoroTask>

#include <optional>

class QNetworkAccessManager;

namespace cd::store {
class JobStore;
}
namespace cd::logs {
class LogBus;
}

namespace cd::artifacts {

class ArtifactStore;

struct CollectReport
{
    QStringList saved;  // artifact names written
    QStringList failed; // "url: reason"
    QString resultsUrl; // the first result URL the output named
    std::optional<QJsonObject> summary;
};

struct CollectLimits
{
    qint64 maxDownloadBytes = 1024LL * 1024 * 1024;
    int downloadTimeoutMs = 300000;
};

// Turns a remote job's output into artifacts before the job is marked completed (seed 002: results
// were lost when this step was missing): the whole output as output.json, known fields as files
// (srt -> subtitles.srt, plain -> transcript.txt, domains -> domains.txt), and every result URL
// (resultUrl, result_url, output_url; top level or one object deep) downloaded. A failed download
// is reported, never fatal: the rest is kept.
class ResultCollector : public QObject
{
    Q_OBJECT
public:
    ResultCollector(ArtifactStore *artifacts, store::JobStore *jobs, logs::LogBus *bus, QNetworkAccessManager *nam,
                    CollectLimits limits = {}, QObject *parent = nullptr);

    QCoro::Task<CollectReport> collect(QString jobId, QJsonValue output);
    static QStringList resultUrls(const QJsonValue &output);

Q_SIGNALS:
    // A result download of a job is under way (`total` is -1 while unknown) / has ended.
    void downloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
    void downloadFinished(const QString &jobId, const QString &name, bool ok);

private:
    QCoro::Task<std::optional<QString>> download(QString jobId, QString url, QString *savedName);

    ArtifactStore *m_artifacts;
    store::JobStore *m_jobs;
    logs::LogBus *m_bus;
    QNetworkAccessManager *m_nam;
    CollectLimits m_limits;
};

} // namespace cd::artifacts

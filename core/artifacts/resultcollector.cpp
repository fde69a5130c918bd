#include "resultcollector.h"

#include "artifactstore.h"
#include "logs/logbus.h"
#include "store/jobstore.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMimeDatabase>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>

#include <QCoro/QCoroNetworkReply>

#include <chrono>
#include <memory>

namespace cd::artifacts {

using model::LogLevel;

namespace {
const QStringList kUrlKeys{QStringLiteral("resultUrl"), QStringLiteral("result_url"), QStringLiteral("output_url")};

void addUrls(const QJsonValue &v, QStringList *out)
{
    if (v.isString() && !v.toString().isEmpty() && !out->contains(v.toString()))
        out->append(v.toString());
    else if (v.isArray())
        for (const QJsonValue &e : v.toArray())
            addUrls(e, out);
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QString humanBytes(qint64 n)
{
    if (n < 1024)
        return QStringLiteral("%1 B").arg(n);
    if (n < 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(n / 1024.0, 0, 'f', 1);
    return QStringLiteral("%1 MiB").arg(n / (1024.0 * 1024.0), 0, 'f', 1);
}
} // namespace

ResultCollector::ResultCollector(ArtifactStore *artifacts, store::JobStore *jobs, logs::LogBus *bus,
                                 QNetworkAccessManager *nam, CollectLimits limits, QObject *parent)
    : QObject(parent), m_artifacts(artifacts), m_jobs(jobs), m_bus(bus), m_nam(nam), m_limits(limits)
{}

QStringList ResultCollector::resultUrls(const QJsonValue &output)
{
    QStringList urls;
    if (!output.isObject())
        return urls;
    const QJsonObject o = output.toObject();
    for (const QString &k : kUrlKeys)
        addUrls(o.value(k), &urls);
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it->isObject())
            for (const QString &k : kUrlKeys)
                addUrls(it->toObject().value(k), &urls);
    return urls;
}

QCoro::Task<CollectReport> ResultCollector::collect(QString jobId, QJsonValue output)
{
    QPointer<ResultCollector> self(this);
    CollectReport report;
    if (auto st = m_artifacts->prepare(jobId); !st) {
        report.failed << st.error().detail;
        co_return report;
    }
    const QString dir = m_artifacts->outputDir(jobId);
    const QJsonDocument doc = output.isObject()  ? QJsonDocument(output.toObject())
                              : output.isArray() ? QJsonDocument(output.toArray())
                                                 : QJsonDocument(QJsonObject{{QStringLiteral("output"), output}});
    if (writeFile(dir + QStringLiteral("/output.json"), doc.toJson(QJsonDocument::Indented)))
        report.saved << QStringLiteral("output.json");
    else
        report.failed << QStringLiteral("output.json: cannot write");

    if (output.isObject()) {
        const QJsonObject o = output.toObject();
        const QList<QPair<QString, QString>> known{{QStringLiteral("srt"), QStringLiteral("subtitles.srt")},
                                                   {QStringLiteral("plain"), QStringLiteral("transcript.txt")},
                                                   {QStringLiteral("domains"), QStringLiteral("domains.txt")}};
        for (const auto &[key, file] : known) {
            const QJsonValue v = o.value(key);
            QByteArray data;
            if (v.isString())
                data = v.toString().toUtf8();
            else if (v.isArray())
                for (const QJsonValue &e : v.toArray())
                    data +=
                        (e.isString() ? e.toString().toUtf8()
                                      : QJsonDocument(QJsonArray{e}).toJson(QJsonDocument::Compact).mid(1).chopped(1)) +
                        '\n';
            else
                continue;
            if (writeFile(dir + u'/' + file, data))
                report.saved << file;
        }
        if (o.value(QStringLiteral("summary")).isObject())
            report.summary = o.value(QStringLiteral("summary")).toObject();
    }

    const QStringList urls = resultUrls(output);
    if (!urls.isEmpty())
        report.resultsUrl = urls.first();
    for (const QString &url : urls) {
        QString saved;
        const auto failure = co_await download(jobId, url, &saved);
        if (!self)
            co_return report;
        if (failure)
            report.failed << url + QStringLiteral(": ") + *failure;
        else
            report.saved << saved;
    }
    co_return report;
}

QCoro::Task<std::optional<QString>> ResultCollector::download(QString jobId, QString urlText, QString *savedName)
{
    QPointer<ResultCollector> self(this);
    const QUrl url(urlText, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https"))
        co_return QStringLiteral("only http and https result URLs are downloaded");
    QString name = ArtifactStore::sanitiseName(QFileInfo(url.path()).fileName());
    const QString dir = m_artifacts->outputDir(jobId);
    for (int n = 2; QFileInfo::exists(dir + u'/' + name); ++n)
        name = QStringLiteral("%1-%2").arg(n).arg(ArtifactStore::sanitiseName(QFileInfo(url.path()).fileName()));
    const QString path = dir + u'/' + name;
    auto file = std::make_shared<QFile>(path + QStringLiteral(".part"));
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
        co_return QStringLiteral("cannot write %1").arg(file->fileName());

    m_bus->system(jobId, LogLevel::Info, QStringLiteral("downloading result %1").arg(urlText));
    QNetworkRequest req(url);
    req.setTransferTimeout(m_limits.downloadTimeoutMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    req.setMaximumRedirectsAllowed(5);
    std::unique_ptr<QNetworkReply> reply(m_nam->get(req));
    auto written = std::make_shared<qint64>(0);
    auto tooBig = std::make_shared<bool>(false);
    auto hash = std::make_shared<QCryptographicHash>(QCryptographicHash::Sha256);
    auto nextReport = std::make_shared<int>(25);
    const qint64 cap = m_limits.maxDownloadBytes;
    QNetworkReply *raw = reply.get();
    auto consume = [raw, file, written, tooBig, cap, hash] {
        const QByteArray chunk = raw->readAll();
        *written += chunk.size();
        if (*written > cap) {
            *tooBig = true;
            raw->abort();
            return;
        }
        hash->addData(chunk);
        file->write(chunk);
    };
    connect(raw, &QNetworkReply::readyRead, raw, consume);
    QPointer<logs::LogBus> bus(m_bus);
    Q_EMIT downloadProgress(jobId, name, 0, -1);
    connect(raw, &QNetworkReply::downloadProgress, this,
            [this, bus, jobId, nextReport, name](qint64 got, qint64 total) {
                Q_EMIT downloadProgress(jobId, name, got, total);
                if (total <= 0 || !bus)
                    return;
                const int pct = static_cast<int>(got * 100 / total);
                if (pct >= *nextReport && pct < 100) {
                    bus->system(jobId, LogLevel::Info, QStringLiteral("downloading %1: %2%").arg(name).arg(pct));
                    *nextReport = (pct / 25 + 1) * 25;
                }
            });
    QElapsedTimer timer;
    timer.start();
    const QPointer<QNetworkReply> alive(raw);
    co_await qCoro(raw).waitForFinished(std::chrono::milliseconds(m_limits.downloadTimeoutMs + 1000));
    if (!alive || !self) {
        if (!alive)
            (void)reply.release(); // deleted with its network manager
        co_return QStringLiteral("shutting down");
    }
    if (!raw->isFinished())
        raw->abort();
    if (!*tooBig)
        consume();
    file->close();
    const int status = raw->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    std::optional<QString> failure;
    if (*tooBig)
        failure = QStringLiteral("larger than the %1 limit").arg(humanBytes(cap));
    else if (status != 0 && (status < 200 || status >= 300))
        failure = QStringLiteral("HTTP %1").arg(status);
    else if (raw->error() != QNetworkReply::NoError)
        failure = raw->errorString();
    if (failure) {
        Q_EMIT downloadFinished(jobId, name, false);
        QFile::remove(file->fileName());
        m_bus->system(jobId, LogLevel::Warning,
                      QStringLiteral("result download failed: %1: %2").arg(urlText, *failure));
        co_return failure;
    }
    QFile::remove(path);
    QFile::rename(file->fileName(), path);
    model::Artifact a;
    a.jobId = jobId;
    a.name = name;
    a.sourceUrl = urlText;
    a.node = m_artifacts->node();
    a.size = QFileInfo(path).size();
    a.sha256 = QString::fromLatin1(hash->result().toHex());
    a.mime = QMimeDatabase().mimeTypeForFile(path).name();
    if (auto st = m_jobs->upsertArtifact(a); !st)
        m_bus->system(jobId, LogLevel::Warning, st.error().detail);
    *savedName = name;
    Q_EMIT downloadFinished(jobId, name, true);
    m_bus->system(jobId, LogLevel::Info,
                  QStringLiteral("downloaded %1 (%2 in %3 s)")
                      .arg(name, humanBytes(a.size))
                      .arg(timer.elapsed() / 1000.0, 0, 'f', 1));
    co_return std::nullopt;
}

} // namespace cd::artifacts

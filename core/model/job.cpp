#include "job.h"

namespace cd::model {

QString isoUtc(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

namespace {
QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}
QJsonValue timeOrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(isoUtc(t)) : QJsonValue(QJsonValue::Null);
}
} // namespace

QString Job::outcome() const
{
    if (status != JobStatus::Completed)
        return {};
    const bool partial =
        summary.value(QStringLiteral("partial")).toBool() ||
        summary.value(QStringLiteral("status")).toString().compare(u"partial", Qt::CaseInsensitive) == 0;
    return partial ? QStringLiteral("partial") : QStringLiteral("full");
}

QString Job::statusText() const
{
    QString text = toString(status).replace(u'_', u' ');
    if (outcome() == u"partial")
        text += QStringLiteral(" (partial)");
    return text;
}

QString Job::partialReason() const
{
    return outcome() == u"partial" ? summary.value(QStringLiteral("stopped_by")).toString() : QString();
}

QJsonObject Job::toJson() const
{
    QJsonObject o{
        {QStringLiteral("id"), id},
        {QStringLiteral("job_id"), id},
        {QStringLiteral("kind"), kind},
        {QStringLiteral("backend"), toString(backend)},
        {QStringLiteral("status"), toString(status)},
        {QStringLiteral("priority"), priority},
        {QStringLiteral("params"), params},
        {QStringLiteral("progress"), progress},
        {QStringLiteral("summary"), summary.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(summary)},
        {QStringLiteral("attempt"), attempt},
        {QStringLiteral("max_attempts"), maxAttempts},
        {QStringLiteral("timeout_s"), timeoutS},
        {QStringLiteral("retry_of"), orNull(retryOf)},
        {QStringLiteral("remote_id"), orNull(remoteId)},
        {QStringLiteral("remote_status"), orNull(remoteStatus)},
        {QStringLiteral("node"), orNull(node)},
        {QStringLiteral("error"), orNull(error)},
        {QStringLiteral("exit_code"), exitCode ? QJsonValue(*exitCode) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("created_at"), timeOrNull(createdAt)},
        {QStringLiteral("queued_at"), timeOrNull(queuedAt)},
        {QStringLiteral("started_at"), timeOrNull(startedAt)},
        {QStringLiteral("finished_at"), timeOrNull(finishedAt)},
        {QStringLiteral("updated_at"), timeOrNull(updatedAt)},
        {QStringLiteral("results_url"), orNull(resultsUrl)},
        {QStringLiteral("log_count"), logCount},
        {QStringLiteral("terminal"), isTerminal(status)},
        {QStringLiteral("outcome"), orNull(outcome())},
        {QStringLiteral("status_detail"), statusText()},
    };
    return o;
}

Result<Job> Job::fromJson(const QJsonObject &o)
{
    auto str = [&o](const char *key) { return o.value(QLatin1String(key)).toString(); };
    auto time = [&o](const char *key) {
        return QDateTime::fromString(o.value(QLatin1String(key)).toString(), Qt::ISODateWithMs).toUTC();
    };
    auto bad = [](const QString &what) {
        return Error::make(Error::Code::Unprocessable, QStringLiteral("not a job: %1").arg(what));
    };
    Job j;
    j.id = str("id");
    if (j.id.isEmpty())
        return bad(QStringLiteral("'id' missing"));
    const auto status = jobStatusFromString(str("status"));
    if (!status)
        return bad(QStringLiteral("unknown status '%1'").arg(str("status")));
    const auto backend = backendFromString(str("backend"));
    if (!backend)
        return bad(QStringLiteral("unknown backend '%1'").arg(str("backend")));
    j.status = *status;
    j.backend = *backend;
    j.kind = str("kind");
    j.priority = o.value(QStringLiteral("priority")).toInt();
    j.params = o.value(QStringLiteral("params")).toObject();
    j.progress = o.value(QStringLiteral("progress")).toInt();
    j.summary = o.value(QStringLiteral("summary")).toObject();
    j.attempt = o.value(QStringLiteral("attempt")).toInt(1);
    j.maxAttempts = o.value(QStringLiteral("max_attempts")).toInt(1);
    j.timeoutS = o.value(QStringLiteral("timeout_s")).toInt();
    j.retryOf = str("retry_of");
    j.remoteId = str("remote_id");
    j.remoteStatus = str("remote_status");
    j.node = str("node");
    j.error = str("error");
    if (const QJsonValue code = o.value(QStringLiteral("exit_code")); code.isDouble())
        j.exitCode = code.toInt();
    j.createdAt = time("created_at");
    j.queuedAt = time("queued_at");
    j.startedAt = time("started_at");
    j.finishedAt = time("finished_at");
    j.updatedAt = time("updated_at");
    j.resultsUrl = str("results_url");
    j.logCount = o.value(QStringLiteral("log_count")).toInteger();
    return j;
}

qint64 Job::durationSecs(const QDateTime &now) const
{
    if (!startedAt.isValid())
        return -1;
    const QDateTime end = finishedAt.isValid() ? finishedAt : now;
    return startedAt.secsTo(end);
}

} // namespace cd::model

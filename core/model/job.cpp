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

qint64 Job::durationSecs(const QDateTime &now) const
{
    if (!startedAt.isValid())
        return -1;
    const QDateTime end = finishedAt.isValid() ? finishedAt : now;
    return startedAt.secsTo(end);
}

} // namespace cd::model

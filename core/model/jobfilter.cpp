#include "jobfilter.h"

#include <QJsonDocument>

namespace cd::model {

using Code = Error::Code;

bool JobFilter::matches(const Job &job) const
{
    if (!statuses.isEmpty() && !statuses.contains(job.status))
        return false;
    if (backend && *backend != job.backend)
        return false;
    if (text.isEmpty())
        return true;
    return job.id.startsWith(text, Qt::CaseInsensitive) || job.kind.contains(text, Qt::CaseInsensitive) ||
           job.error.contains(text, Qt::CaseInsensitive) ||
           QString::fromUtf8(QJsonDocument(job.params).toJson(QJsonDocument::Compact))
               .contains(text, Qt::CaseInsensitive);
}

const QStringList &JobFilter::queryKeys()
{
    static const QStringList k{QStringLiteral("status"), QStringLiteral("backend"), QStringLiteral("q"),
                               QStringLiteral("limit"), QStringLiteral("before")};
    return k;
}

Result<JobFilter> JobFilter::fromQuery(const QUrlQuery &query)
{
    JobFilter f;
    const QString status = query.queryItemValue(QStringLiteral("status"), QUrl::FullyDecoded);
    if (!status.isEmpty()) {
        for (const QString &s : status.split(u',', Qt::SkipEmptyParts)) {
            const auto st = jobStatusFromString(s.trimmed());
            if (!st) {
                QStringList names;
                for (auto known : allStatuses())
                    names << toString(known);
                return Error::make(Code::InvalidArgument,
                                   QStringLiteral("query parameter 'status': unknown status '%1'; one of %2")
                                       .arg(s, names.join(QStringLiteral(", "))));
            }
            f.statuses.append(*st);
        }
    }
    const QString backend = query.queryItemValue(QStringLiteral("backend"), QUrl::FullyDecoded);
    if (!backend.isEmpty()) {
        const auto b = backendFromString(backend);
        if (!b)
            return Error::make(Code::InvalidArgument,
                               QStringLiteral("query parameter 'backend': unknown backend '%1'; one of local, runpod, "
                                              "runpod-pod")
                                   .arg(backend));
        f.backend = b;
    }
    f.text = query.queryItemValue(QStringLiteral("q"), QUrl::FullyDecoded);
    if (query.hasQueryItem(QStringLiteral("limit"))) {
        bool ok = false;
        const int limit = query.queryItemValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || limit < 1 || limit > kMaxLimit)
            return Error::make(
                Code::InvalidArgument,
                QStringLiteral("query parameter 'limit' must be a whole number from 1 to %1").arg(kMaxLimit));
        f.limit = limit;
    }
    f.beforeId = query.queryItemValue(QStringLiteral("before"), QUrl::FullyDecoded);
    return f;
}

} // namespace cd::model
